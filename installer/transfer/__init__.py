"""Moving bundle blobs between nodes over the LAN.

Every node keeps a content-addressed store (store.py) and serves it over HTTPS with the join
token (server.py), each node with its own certificate, which the others pin (pins.py). A node
fetches each blob from whichever peer the tracker (tracker.py) assigns, verifies its sha256 on
arrival and resumes partial transfers by byte range (fetch.py). Because a
node serves a blob while it is still arriving, the tracker's least-loaded assignment forms a
relay chain: sending to eight nodes takes about as long as sending to one (peer.py ties it up).
bundle_share.py decides which bundle files travel and lays them out again on the receiving node.
"""
