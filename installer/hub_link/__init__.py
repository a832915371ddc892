"""The site's side of the vendor's hub: enrollment (`./install hub connect`), signed check-ins the
cluster service sends (dial-out only: the hub never opens a connection to a site), the signed
report file an offline site carries out (`./install report --for-hub`), and `./install hub
disconnect`. The envelope every one of them travels in is envelope.py, which the hub reads too."""
