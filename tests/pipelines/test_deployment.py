"""Promotion and serving on the real stack: the first model is promoted, a better one replaces it,
a worse one never; the ZenML deployment is redeployed only when production changes; bad states
(a port in use, no model, a dead server) get one line and leave things as they were."""

import os
import signal
import socket
import subprocess

import mlflow
import pytest

from tests.conftest import PROJECT_ROOT, cli_json, free_port, lean, run_cli, write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deploy_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("deploy-home")
    configs = tmp_path_factory.mktemp("configs")
    port = free_port()
    paths = {
        "worse": write_config("configs/train_tiny.yaml", configs / "worse.yaml",
                              **lean(training={"epochs": 1, "learning_rate": 1.0e-7})),
        "good": write_config("configs/train_tiny.yaml", configs / "good.yaml", **lean()),
        "deploy": write_config("configs/deploy.yaml", configs / "deploy.yaml",
                               deploy={"app": {"host": "127.0.0.1", "port": port}}),
    }
    dead_data = tmp_path_factory.mktemp("dead-data")
    (dead_data / "broken.parquet").write_bytes(b"PAR1 not really")
    (dead_data / "train.csv").write_text("path,participant_id,sequence_id,sign\n" + "".join(
        f"broken.parquet,{signer},{signer},hello\n" for signer in range(1, 9)))
    paths["dead"] = write_config("configs/train_tiny.yaml", configs / "dead.yaml",
                                 data={"root": str(dead_data)})
    yield home, paths
    run_cli("stop", home=home)


def train_and_deploy(home, paths, which):
    trained = run_cli("train", "--config", str(paths[which]), home=home)
    assert trained.returncode == 0, trained.stderr[-4000:]
    deployed = run_cli("deploy", "--config", str(paths["deploy"]), home=home)
    assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-4000:]
    return deployed.stdout


def production_alias_version(home) -> str:
    mlflow.set_tracking_uri(f"sqlite:///{home}/artifacts/mlflow.db")
    return str(mlflow.MlflowClient().get_model_version_by_alias("signbridge-asl", "production").version)


def service_status(home) -> dict:
    return cli_json(run_cli("status", home=home))


def test_promotion_sequence(deploy_home):
    home, paths = deploy_home

    first = train_and_deploy(home, paths, "worse")
    assert "Model version 1 promoted: no production model yet" in first
    assert production_alias_version(home) == "1"
    status = service_status(home)
    assert status["healthy"] and status["model_version"] == "1"
    assert status["url"].startswith("http://127.0.0.1:")

    better = train_and_deploy(home, paths, "good")
    assert "Model version 2 promoted: top-1" in better
    assert production_alias_version(home) == "2"
    assert service_status(home)["model_version"] == "2"

    # A run that dies after its model version was created leaves nothing to promote.
    dead = run_cli("train", "--config", str(paths["dead"]), home=home)
    assert dead.returncode != 0
    assert "error: step ingest_landmarks failed: no usable sequence" in dead.stderr
    assert "broken.parquet: not a readable parquet file" in dead.stderr
    after_dead = run_cli("deploy", "--config", str(paths["deploy"]), home=home)
    assert after_dead.returncode == 0, after_dead.stderr[-3000:]
    assert "version 2 is already production" in after_dead.stdout
    assert production_alias_version(home) == "2"

    served_by = service_status(home)["pid"]
    worse = train_and_deploy(home, paths, "worse")
    assert "Model version 4 not promoted" in worse and "not better than production" in worse
    assert production_alias_version(home) == "2"
    assert service_status(home)["model_version"] == "2"
    assert service_status(home)["pid"] == served_by  # nothing changed, nothing redeployed

    again = run_cli("deploy", "--config", str(paths["deploy"]), home=home)
    assert "Model version 4 not promoted" in again.stdout
    assert production_alias_version(home) == "2"


def test_a_port_in_use_is_refused_and_the_running_app_is_left_alone(deploy_home, tmp_path):
    home, paths = deploy_home
    before = service_status(home)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        config = write_config("configs/deploy.yaml", tmp_path / "busy.yaml",
                              deploy={"app": {"host": "127.0.0.1", "port": busy}})
        result = run_cli("serve", "--config", str(config), home=home)
    assert result.returncode == 1
    assert f"error: port {busy} on 127.0.0.1 is in use by another program" in result.stderr
    assert "Traceback" not in result.stderr
    after = service_status(home)
    assert after["healthy"] and after["pid"] == before["pid"] and after["url"] == before["url"]


def test_a_dead_server_is_reported_and_serve_starts_it_again(deploy_home):
    home, paths = deploy_home
    os.kill(service_status(home)["pid"], signal.SIGKILL)
    dead = run_cli("status", home=home)
    assert dead.returncode == 3 and cli_json(dead)["status"] == "error"
    revived = run_cli("serve", "--config", str(paths["deploy"]), home=home)
    assert revived.returncode == 0, revived.stderr[-3000:]
    assert service_status(home)["healthy"] and service_status(home)["model_version"] == "2"

    # The printed log command works pasted into a new shell: it names this project's ZenML store.
    logs = next(line.removeprefix("Logs: ") for line in revived.stdout.splitlines()
                if line.startswith("Logs: "))
    fresh_shell = {name: value for name, value in os.environ.items()
                   if name not in ("ZENML_CONFIG_PATH", "SIGNBRIDGE_HOME", "VIRTUAL_ENV")}
    shown = subprocess.run(logs, shell=True, cwd=PROJECT_ROOT, env=fresh_shell,
                           capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "GET /health" in shown.stdout + shown.stderr


def test_stop_leaves_nothing_listening_and_status_says_so(deploy_home):
    home, _ = deploy_home
    url = service_status(home)["url"]
    assert run_cli("stop", home=home).stdout.strip().endswith("app stopped")
    result = run_cli("status", home=home)
    assert result.returncode == 3 and cli_json(result)["status"] == "absent"
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert run_cli("stop", home=home).stdout.strip().endswith("app was not running")


def test_serving_without_a_model_says_to_train_first(tmp_path):
    result = run_cli("serve", home=tmp_path / "empty-home")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no model 'signbridge-asl'" in result.stderr
    assert "`make run`" in result.stderr and " run python run_pipeline.py train`" in result.stderr
