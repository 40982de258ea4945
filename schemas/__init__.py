# Marks schemas/ as the data package segment_spec.schemas (see pyproject.toml), so that
# importlib.resources finds the JSON files the same way in a wheel and in an editable install.
# The schemas themselves are plain JSON files, usable from any language.
