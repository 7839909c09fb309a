"""pytest in docs/: the Sphinx configuration, its extensions and the built site are not tests.

``--doctest-modules`` would import ``conf.py`` (which imports Sphinx) and the extensions under
``_ext/``; ``--doctest-glob=*.md`` would read the copies of the pages in a build folder.
"""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_ext/*", "_build/*", "api/generated/*"]
