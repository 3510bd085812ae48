"""The README's Python examples run, in order, in one namespace (examples are tests).

Epoch counts are cut to 3 so that the suite stays fast; the calls are the README's own.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2, "README lost its Python examples"
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perceptron warns that digits are not separable
        for block in blocks:
            code = block.replace("fit(X, y,", "fit(X, y, progress=False,").replace(
                "fit(Xb,", "fit(Xb, progress=False,")
            code = re.sub(r"epochs=(\d+)", lambda m: f"epochs={min(int(m[1]), 3)}", code)  # keep CI fast
            exec(compile(code, str(README), "exec"), namespace)
    assert namespace["rbf"].score(namespace["X_test"], namespace["y_test"]) > 0.9  # closed form
    assert namespace["net"].score(namespace["X_test"], namespace["y_test"]) > 0.5
