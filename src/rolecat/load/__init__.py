"""Load stage: the catalog folder\x27s files with positions (``source``), which files (``discover``), their schemas (``schema``)."""
