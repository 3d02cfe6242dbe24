"""The composition root: the `ww` command line and the process runners.

The only package that knows every service: it wires the four service specs, their jobs and
the web front end into processes. `shared/` never imports a service or `ww`; a service never
imports `ww`.
"""
