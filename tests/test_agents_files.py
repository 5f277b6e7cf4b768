"""Agent files: save/load round-trips with SB3's path semantics and checks everything it reads.

Every malformed file (corrupt, truncated, pickled, extra or missing keys, wrong shapes, NaN q,
negative counts, a meta that is not what save writes) gets one ValueError starting "not a
labcoat agent file: ", and no stored environment id can make loading import a module.
"""

import json
import sys

import gymnasium as gym
import numpy as np
import pytest

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents.semi_gradient import SemiGradientSarsa
from labcoat.agents.tabular import TD0, QLearning

NOT_AGENT = "^not a labcoat agent file: "


@pytest.fixture(scope="module")
def trained():
    return QLearning("labcoat/PlantWatering-v0", gamma=0.9, seed=0).learn(total_timesteps=300)


def _rewrite(tmp_path, agent, change_arrays=None, change_meta=None, name="bad.npz"):
    """Save ``agent``, then write a copy whose arrays and meta are edited."""
    with np.load(agent.save(tmp_path / "good"), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("meta")))
    if change_arrays:
        change_arrays(arrays)
    if change_meta:
        change_meta(meta)
    path = tmp_path / name
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


def test_save_then_load_with_the_same_path_string(tmp_path, trained, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = trained.save("a")
    assert written.name == "a.npz" and (tmp_path / "a.npz").is_file()
    for path in ("a", "a.npz", tmp_path / "a"):
        loaded = QLearning.load(path)
        np.testing.assert_array_equal(loaded.q, trained.q)
        assert loaded.num_timesteps == trained.num_timesteps


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        QLearning.load(tmp_path / "nothing")


def _nan_q(arrays):
    arrays["q"] = np.where(np.isfinite(arrays["q"]), np.nan, arrays["q"])


def _bad(key, value):
    def change(meta):
        meta[key] = value

    return change


@pytest.mark.parametrize(
    ("change_arrays", "change_meta", "reason"),
    [
        (_nan_q, None, "q holds NaN"),
        (lambda a: a.update(q=np.full((2, 3), np.inf)), None, "q holds NaN or infinite"),
        (lambda a: a.update(q=a["q"][:1]), None, r"q has shape \(1, 3\)"),
        (lambda a: a.update(q=a["q"].astype(str)), None, "q has dtype"),
        (lambda a: a.update(visit_counts=-a["visit_counts"] - 1), None, "negative counts"),
        (lambda a: a.update(visit_counts=a["visit_counts"] + 0.5), None, "visit_counts has"),
        (lambda a: a.update(extra=np.zeros(2)), None, "it holds"),
        (lambda a: a.pop("visit_counts"), None, "it holds"),
        (None, _bad("num_timesteps", -5), "disagree"),
        (None, _bad("num_timesteps", "300"), "wrong type"),
        (None, _bad("episode_lengths", [-1]), "non-negative"),
        (None, lambda m: m.update(episode_returns=[1.0, 2.0], episode_lengths=[1]), "disagree"),
        (None, lambda m: m.update(episode_returns=["x"], episode_lengths=[1]), "finite"),
        (None, lambda m: m.update(episode_returns=[np.nan], episode_lengths=[1]), "finite"),
        (None, _bad("hyperparameters", {"gamma": 0.9, "evil": 1}), "unknown hyperparameters"),
        (None, _bad("hyperparameters", {"gamma": 7.0}), "stored gamma must be"),
        (None, _bad("hyperparameters", {"learning_rate": "fast"}), "stored learning_rate"),
        (None, _bad("env_id", "labcoat/NoSuchEnv-v0"), "not registered"),
        (None, _bad("env_kwargs", {"alpha": "x"}), "env_kwargs are refused"),
        (None, lambda m: m.pop("class"), "exactly the keys"),
        (None, lambda m: m.update(more=1), "exactly the keys"),
    ],
)
def test_a_malformed_file_is_one_value_error(tmp_path, trained, change_arrays, change_meta, reason):
    path = _rewrite(tmp_path, trained, change_arrays, change_meta)
    with pytest.raises(ValueError, match=NOT_AGENT + f".*({reason})"):
        QLearning.load(path)


def test_corrupt_truncated_and_foreign_files_are_one_value_error(tmp_path, trained):
    good = trained.save(tmp_path / "good").read_bytes()
    cases = {
        "truncated.npz": good[: len(good) // 2],
        "garbage.npz": b"\x00\x01 not a zip at all",
        "empty.npz": b"",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    np.save(tmp_path / "array.npy", np.zeros(3))
    np.savez(tmp_path / "pickled.npz", meta=np.array([{"class": "QLearning"}], dtype=object))
    np.savez(tmp_path / "meta_not_json.npz", q=np.zeros((2, 3)), visit_counts=np.zeros((2, 3),
             dtype=int), meta=np.array("{not json"))  # fmt: skip
    np.savez(tmp_path / "meta_list.npz", q=np.zeros((2, 3)), visit_counts=np.zeros((2, 3),
             dtype=int), meta=np.array("[1, 2]"))  # fmt: skip
    for name in [*cases, "array.npy", "pickled.npz", "meta_not_json.npz", "meta_list.npz"]:
        with pytest.raises(ValueError, match=NOT_AGENT):
            QLearning.load(tmp_path / name)


def test_loading_never_imports_a_module_named_by_the_file(tmp_path, trained, monkeypatch):
    """A file whose env_id is "module:Name" must not make gym.make import that module."""
    marker = tmp_path / "imported.txt"
    package = tmp_path / "site"
    package.mkdir()
    (package / "labcoat_evil_module.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    )
    monkeypatch.syspath_prepend(str(package))
    path = _rewrite(
        tmp_path, trained, change_meta=_bad("env_id", "labcoat_evil_module:labcoat/Plant-v0")
    )
    with pytest.raises(ValueError, match=NOT_AGENT + ".*would import the module"):
        QLearning.load(path)
    assert not marker.exists() and "labcoat_evil_module" not in sys.modules


def test_an_already_imported_module_prefix_is_looked_up_in_the_registry(tmp_path, trained):
    path = _rewrite(
        tmp_path, trained, change_meta=_bad("env_id", "labcoat.envs:labcoat/PlantWatering-v0")
    )
    loaded = QLearning.load(path)
    assert loaded.env.spec.id == "labcoat/PlantWatering-v0"
    np.testing.assert_array_equal(loaded.q, trained.q)


def test_prediction_and_semi_gradient_files_are_checked(tmp_path):
    env = gym.make("labcoat/RandomWalk-v0", size=5, max_jump=1)
    td0 = TD0(env, lambda s: 0, gamma=1.0, seed=0).learn(n_episodes=5)
    path = _rewrite(tmp_path, td0, lambda a: a.update(v=np.full(7, np.nan)), name="td0.npz")
    with pytest.raises(ValueError, match=NOT_AGENT + ".*v holds NaN"):
        TD0.load(path, policy=lambda s: 0)
    sarsa = SemiGradientSarsa("labcoat/PlantWatering-v0", seed=0).learn(total_timesteps=50)

    def infinite(arrays):
        arrays["_saved_parameters"] = np.full_like(arrays["_saved_parameters"], np.inf)

    path = _rewrite(tmp_path, sarsa, infinite, name="sarsa.npz")
    with pytest.raises(ValueError, match=NOT_AGENT + ".*weights holds NaN or infinite"):
        SemiGradientSarsa.load(path, features=sarsa.features)


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path, trained, monkeypatch):
    path = trained.save(tmp_path / "agent")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        trained.save(tmp_path / "agent")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.npz"]
