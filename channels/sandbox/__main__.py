"""`python -m channels.sandbox --port N`: run the sandbox on its own."""

from __future__ import annotations

import argparse

from channels.sandbox.server import DEFAULT_PORT, parse_fault, run


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the sandbox."""
    parser = argparse.ArgumentParser(
        prog="python -m channels.sandbox",
        description="Run the local platform sandbox and print the settings that point at it.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    parser.add_argument(
        "--error-rate", type=float, default=0.0,
        help="share (0–1) of all platform calls that fail with the platform's server error",
    )  # fmt: skip
    parser.add_argument(
        "--fault", action="append", default=[], metavar="PLATFORM:OP:KIND[:CODE]",
        help='a fault rule, e.g. "x:publish:accept_then_timeout" or "facebook:*:error:190/463";'
        " may be repeated",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no log line per request")
    args = parser.parse_args(argv)
    try:
        rules = [parse_fault(spec) for spec in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    if not 0 <= args.error_rate <= 1:
        parser.error("--error-rate must be between 0 and 1")
    run(args.host, args.port, args.latency, rules, args.quiet, args.error_rate)


if __name__ == "__main__":
    main()
