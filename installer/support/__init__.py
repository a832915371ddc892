"""Remote support: the site's operator grants the vendor a time-boxed way in (`./install support
open`), and the cluster service dials out to the hub's SSH endpoint with reverse forwards of
exactly what was allowed. grant.py keeps the grant, tunnel.py is the connection, loop.py keeps
it up while the grant holds and ends it for good when it does not."""
