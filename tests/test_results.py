"""Run directories: atomic writes, provenance, completeness."""

import json
import os
import stat

import numpy as np
import pytest

from repro import results


def test_atomic_write_replaces_whole_file_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "sub" / "a.json"
    results.atomic_write_json(path, {"x": 1})
    results.atomic_write_json(path, {"x": np.float32(2.5), "arr": np.arange(3)})
    assert json.loads(path.read_text()) == {"x": 2.5, "arr": [0, 1, 2]}
    assert sorted(os.listdir(path.parent)) == ["a.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.json"
    results.atomic_write_json(path, {"x": 1})
    with pytest.raises(TypeError):
        results.atomic_write_json(path, {"x": object()})  # not serialisable
    assert json.loads(path.read_text()) == {"x": 1}
    assert os.listdir(tmp_path) == ["a.json"]


def test_provenance_names_commit_versions_and_devices():
    prov = results.provenance(wall_time_s=1.5)
    assert prov["wall_time_s"] == 1.5
    assert prov["packages"]["jax"] and prov["packages"]["flax"]
    assert prov["devices"] and prov["python"]
    assert "git_commit" in prov and "git_dirty" in prov


def test_write_run_marks_completion_for_the_same_config_only(tmp_path):
    config = {"T": 10, "curves": "a,b"}
    assert not results.is_complete(tmp_path, config)
    results.write_run(tmp_path, config, {"summary": 1}, wall_time_s=0.1, arrays={"x": np.ones(3)})
    assert results.is_complete(tmp_path, config)
    assert not results.is_complete(tmp_path, {**config, "T": 11})
    saved = results.load_json(tmp_path / "results.json")
    assert saved["summary"] == 1 and "provenance" in saved
    np.testing.assert_array_equal(np.load(tmp_path / "results.npz")["x"], np.ones(3))


def test_a_run_directory_is_held_by_one_run_at_a_time(tmp_path):
    with results.locked(tmp_path / "run"):
        with pytest.raises(results.RunDirBusy, match="another run is using this directory"):
            with results.locked(tmp_path / "run"):
                pass
    with results.locked(tmp_path / "run"):  # released when the holder ends
        pass


def test_files_are_written_with_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = results.atomic_write(tmp_path / "a.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
