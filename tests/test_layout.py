"""The tree keeps its shape: the domain package needs neither ZenML nor Gradio, serving needs no
TensorFlow, and importing a step or pipeline does no work (no TensorFlow for serving ones)."""

import subprocess
import sys

import pytest

from signbridge.config import PROJECT_ROOT

DOMAIN = sorted(
    ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    for path in (PROJECT_ROOT / "signbridge").rglob("*.py") if path.name != "__init__.py")


def imported_after(modules: list[str]) -> set[str]:
    code = ("import sys\nfrom signbridge import workspace\nworkspace.configure_environment()\n"
            + "".join(f"import {m}\n" for m in modules)
            + "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(result.stdout.split())


def test_the_domain_package_imports_neither_zenml_nor_gradio():
    loaded = imported_after(DOMAIN)
    assert "zenml" not in loaded and "gradio" not in loaded


@pytest.mark.parametrize("modules", [
    [m for m in DOMAIN if m.startswith("signbridge.serving.")],
    ["steps.deployment.promote_if_better", "steps.deployment.deploy_service",
     "steps.inference.recognise_landmarks", "pipelines.deployment", "pipelines.inference",
     "app.server"],
])
def test_serving_and_deployment_code_loads_without_tensorflow(modules):
    assert "tensorflow" not in imported_after(modules)
