"""The hand-written async source of the clients; `_sync/` is generated from it by unasync."""
