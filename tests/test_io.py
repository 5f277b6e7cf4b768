"""One atomic writer: agent files and exercise results get the same (usual) permissions."""

import os
import stat

import gymnasium as gym
import pytest

import labcoat.envs  # noqa: F401
from labcoat.agents import QLearning
from labcoat.classic._io import atomic_write, atomic_write_bytes, umask
from labcoat.exercises._framework import atomic_write_bytes as exercise_writer


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_agent_files_and_exercise_files_share_the_writer_and_its_permissions(tmp_path):
    assert exercise_writer is atomic_write_bytes
    agent = QLearning(gym.make("labcoat/PlantWatering-v0"), seed=0)
    saved = agent.save(tmp_path / "agent")
    written = atomic_write_bytes(tmp_path / "result.json", b"{}")
    assert _mode(saved) == _mode(written) == 0o666 & ~umask()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "x.bin"
    atomic_write_bytes(path, b"old")

    def broken(handle):
        handle.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]
