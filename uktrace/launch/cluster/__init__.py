"""Guests on a Ray cluster, consoles streamed back live into the one uktrace that started the run.

`address` reads `--cluster`; `host` is the per-node actor (plain Python: Ray makes it remote);
`wire` is what goes over the stream; `remote` is the client's stand-in for a `GuestProcess`, fed
by that stream; `client` is the only module that imports Ray.
"""
