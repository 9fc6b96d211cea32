"""Sphinx configuration of the kit's site (built by ``bash scripts/build_site.sh``).

The site is built from a staging copy that ``docs/build.py`` assembles (this folder, the committed
executed notebooks, ``glossary.md``, ``instructor/`` and a page rendered from ``data/claims.json``);
notebooks are never re-executed: what the site shows is exactly what is committed.
"""

project = "Foundational Robustness of Foundation Models — a hands-on kit"
author = "the kit's authors"
copyright = "MIT (code); see data/NOTICE.md for data and checkpoints"

extensions = ["myst_nb"]
nb_execution_mode = "off"          # render committed outputs, never run a cell
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "html_image"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure",
                     "myst.xref_missing", "toc.not_included"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "build.py", "README.md"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

html_theme = "furo"
html_title = "Foundational Robustness kit"
html_show_sourcelink = False
html_copy_source = False
