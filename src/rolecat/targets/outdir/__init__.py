"""OUT as untrusted input: safe file operations, the lock, the journal and the inventory.

A pull request controls everything under OUT, so nothing here trusts it: every path is
a validated relative path walked one component at a time without following symlinks
(``safefs``), rolecat's own working files live inside OUT under ``.rolecat/``
(``layout``), one writer at a time holds ``.rolecat/lock`` (``lock``), a commit is
journaled with backups so that it can be finished or rolled back (``journal``), and
``inventory`` lists everything in OUT that rolecat did not write.
"""
