"""`python -m mapserver.live.stream`: the same as `mapserver live serve`."""

from mapserver.live.stream.cli import serve_command

serve_command(prog_name="mapserver live serve")
