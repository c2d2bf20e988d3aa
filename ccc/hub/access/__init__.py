"""Secrets and who may: admin sessions, PINs and passwords, lock-outs, rate limits, read grants."""
