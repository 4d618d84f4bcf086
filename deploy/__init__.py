"""Deployment: the scaled setup on one machine (cluster.py) and its nginx template."""
