"""Run directories: atomic writes, provenance, completeness."""

import json
import os
import stat
import time

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
    assert prov["xla_flags"] == os.environ.get("XLA_FLAGS", "")  # what the backend read


def test_code_state_is_dirty_for_code_anywhere_in_the_checkout_but_not_for_outputs(tmp_path):
    import subprocess

    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    for path in ("pkg/code.py", "other/tool.py", "runs/x/table.json", "figures/f.png", "README.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("0\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    inside = tmp_path / "pkg"  # asked from a subdirectory, as the package does
    clean = results.code_state(inside)
    assert clean["git_dirty"] is False and clean["git_diff_sha256"] is None
    for path in ("runs/x/table.json", "figures/f.png", "README.md"):  # outputs: still clean
        (tmp_path / path).write_text("1\n")
    assert results.code_state(inside)["git_dirty"] is False
    (tmp_path / "other/tool.py").write_text("1\n")  # code outside the asking directory
    dirty = results.code_state(inside)
    assert dirty["git_dirty"] is True and len(dirty["git_diff_sha256"]) == 64
    (tmp_path / "other/tool.py").write_text("2\n")
    assert results.code_state(inside)["git_diff_sha256"] != dirty["git_diff_sha256"]
    assert results.code_state(tmp_path.parent / "nowhere")["git_commit"] is None


def test_write_json_with_provenance_keeps_an_unchanged_file(tmp_path):
    path = tmp_path / "t.json"
    results.write_json_with_provenance(path, {"rows": [1, float("nan")]})
    first = path.read_bytes()
    results.write_json_with_provenance(path, {"rows": [1, float("nan")]})
    assert path.read_bytes() == first  # same content: not rewritten, provenance kept
    results.write_json_with_provenance(path, {"rows": [2]})
    assert json.loads(path.read_text())["rows"] == [2]


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


def test_the_command_is_recorded_without_whether_missing_runs_train(monkeypatch):
    import sys
    import types

    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="experiments.run")
    monkeypatch.setitem(sys.modules, "__main__", main)
    argv = ["run.py", "--config=c.py:paper", "--config.run_missing=false", "--config.lr=0.5"]
    monkeypatch.setattr(sys, "argv", argv)
    assert results.command() == "python -m experiments.run --config=c.py:paper --config.lr=0.5"
    main.__spec__ = types.SimpleNamespace(name="pytest")  # not one of ours: nothing recorded
    assert results.command() is None


def test_cached_json_computes_once_per_source_and_records_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=2 --marker_of_this_test")
    path = tmp_path / "analysis.json"
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.02)
        return {"value": len(calls)}

    first = results.cached_json(path, {"run": "a", "steps": 3}, compute)
    assert first["value"] == 1 and first["source"] == {"run": "a", "steps": 3}
    assert first["provenance"]["xla_flags"].endswith("--marker_of_this_test")
    assert first["provenance"]["wall_time_s"] >= 0.02  # the seconds compute took
    # the same source: read back from the file, not computed again
    assert results.cached_json(path, {"steps": 3, "run": "a"}, compute) == first
    assert len(calls) == 1
    # another source: computed again and the file replaced
    second = results.cached_json(path, {"run": "a", "steps": 4}, compute)
    assert second["value"] == 2 and results.load_json(path) == second
    assert [p.name for p in tmp_path.iterdir()] == ["analysis.json"]  # no temporary file left
