"""docker-compose.yml against the systemd units: run by deploy/check.sh.

The compose file must be YAML with the backend and frontend services (and the optional
coturn, redis and postgres behind profiles); each server's flags, stop timeout and file
limit must be its unit's (the listen address and the secrets' paths may differ).
"""

import re
import sys

import yaml

# Flags whose values differ by design between a unit and a container.
PER_PLACE = {"--listen", "--trusted-proxies", "--session-secret-file", "--admin-listen"}


def unit(name):
    """The unit's ExecStart flags ({flag: value}), TimeoutStopSec and LimitNOFILE."""
    with open(f"deploy/meetmap-{name}.service", encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    fields = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    return flags(fields["ExecStart"].split()[1:]), fields["TimeoutStopSec"], fields["LimitNOFILE"]


def flags(args):
    """{flag: value} of a `--flag value` list."""
    if len(args) % 2:
        raise ValueError(f"flags without values: {args}")
    return {args[i]: str(args[i + 1]) for i in range(0, len(args), 2)}


def main():
    with open("docker-compose.yml", encoding="utf-8") as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    problems = []
    for optional in ["coturn", "redis", "postgres"]:
        if optional not in services or not services[optional].get("profiles"):
            problems.append(f"{optional}: missing, or not behind a profile")
    for name in ["backend", "frontend"]:
        service = services.get(name)
        if service is None or service.get("profiles"):
            problems.append(f"{name}: missing, or behind a profile")
            continue
        want_flags, want_stop, want_nofile = unit(name)
        got_flags = flags(service["command"])
        for flag in sorted(set(want_flags) | set(got_flags)):
            if flag not in want_flags or flag not in got_flags:
                problems.append(f"{name}: {flag} in only one of the unit and the compose file")
            elif flag not in PER_PLACE and want_flags[flag] != got_flags[flag]:
                problems.append(f"{name}: {flag} is {got_flags[flag]}, the unit says {want_flags[flag]}")
        if service.get("stop_grace_period") != f"{want_stop}s":
            problems.append(f"{name}: stop_grace_period is not the unit's {want_stop}s")
        if str(service.get("ulimits", {}).get("nofile")) != want_nofile:
            problems.append(f"{name}: ulimits.nofile is not the unit's {want_nofile}")
    for problem in problems:
        print(f"deploy-check: docker-compose.yml: {problem}", file=sys.stderr)
    if not problems:
        print("deploy-check: docker-compose.yml: services, flags, stop timeouts and limits match the units")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
