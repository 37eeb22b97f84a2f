"""xAPI (Experience API 1.0.3) for learning events.

* ``statements``: pure builders from plain values to statement dicts (no database, no app),
  so what is sent can be read, tested and validated on its own.
* ``settings``: the ``XAPI_*`` configuration, checked at startup.
* ``client``: posting a batch to an LRS and classifying its answer.

The outbox that queues and retries statements is ``lms.services.xapi``; the react hooks
that turn events into statements are in ``lms.builtin.xapi``. See docs/xapi.md.
"""
