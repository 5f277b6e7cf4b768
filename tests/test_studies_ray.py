"""The Ray engine on a local Ray (num_cpus=2, started once): the same files as the local one."""

import pytest

from labcoat.exercises import studies

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield
    ray.shutdown()


def test_ray_and_local_engines_write_identical_trials(local_ray, tmp_path):
    sets = {"n_seeds": [2], "max_k": [3], "n_init": [1]}
    local = studies.sweep("kmeans", [0, 1], sets, out=tmp_path / "local", jobs=1)
    remote = studies.sweep("kmeans", [0, 1], sets, out=tmp_path / "ray", engine="ray", jobs=2)
    assert len(local.finished) == len(remote.finished) == 2
    for trial in local.trials:
        for name in ("metrics.json", "loss_versus_k.csv", "initializations.csv", "config.json"):
            a = (tmp_path / "local" / trial.folder / name).read_bytes()
            assert a == (tmp_path / "ray" / trial.folder / name).read_bytes()
    again = studies.sweep("kmeans", [0, 1], sets, out=tmp_path / "ray", engine="ray")
    assert len(again.skipped) == 2 and not again.finished
