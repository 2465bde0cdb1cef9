"""Sphinx configuration: ``sphinx-build -W -b html docs docs/_build/html``.

The pages document the *installed* fastact (as the tests do): the repository
root is never put on ``sys.path``, only ``docs/_ext`` for the directives.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

import fastact  # noqa: E402

project = "fastact"
author = "the fastact developers"
copyright = "the fastact developers"
release = version = fastact.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "fastact_docs"]

exclude_patterns = ["_build", "_generated", "examples"]
templates_path = []

# numpydoc: the class docstring documents the constructor; members are
# documented by autodoc where a page asks for them, not as summary tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every documented function, class and method has all its parameters
# documented, and no invented ones.  (That every public function and class
# has an Examples section that runs is tests/test_doctests.py's job.)
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = {r"\.__init__$", r"\.__call__$"}

autodoc_member_order = "bysource"
autodoc_typehints = "none"

html_theme = "alabaster"
html_title = f"fastact {release}"
html_theme_options = {
    "description": "Exact, fast activation functions and fused dense layers for NumPy",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_static_path = []
