"""The reports, one module each: ``table``, ``check``, ``listing`` (``actgrad list``), ``plot``
and ``explain``. A view takes core results and writes them with ``actgrad.io``; it computes
nothing of its own beyond layout.
"""
