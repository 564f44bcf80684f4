"""Load stage: the catalog folder's files with positions (``source``), which files (``discover``), their schemas (``schema``)."""
