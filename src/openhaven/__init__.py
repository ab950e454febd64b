"""OpenHaven: a trusted research environment (safe haven) for patient records.

The package is laid out along the data flow: ``records`` (ingest and the record store)
→ ``choices`` → ``provisioning`` → ``analysis`` → ``outputs``, with ``governance`` deciding
who may do what, ``ledger`` recording every step, and ``transparency`` telling the public.
``core`` holds configuration and errors; ``engine`` is the only door to the data engines;
``cli`` and ``web`` are thin interfaces over the services.
"""

__version__ = "0.1.0"
