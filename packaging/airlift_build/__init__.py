"""Airlift's build side: turn a manifest, its resources and its images into one bundle.

Kept as package `airlift_build` inside packaging/ so that packaging/ never shadows PyPI's
`packaging` module (build.py and the tests put packaging/ on sys.path).
"""
