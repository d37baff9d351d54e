"""Checks an Autobahn fuzzingclient report (index.json) against expected.json.

Fails on any FAILED case (behaviour or closing behaviour) and on any case whose
behaviour differs from the expected one. AUTOBAHN_UPDATE=1 rewrites expected.json.
Runs on Python 2.7 and 3.
"""
from __future__ import print_function

import collections
import json
import os
import sys


def case_key(case):
    return [int(part) for part in case.split(".")]


def main(index_path, expected_path):
    with open(index_path) as index_file:
        agents = json.load(index_file)
    if len(agents) != 1:
        print("autobahn: expected one agent in the report, got %s" % sorted(agents))
        return 1
    results = list(agents.values())[0]
    actual = collections.OrderedDict(
        (case, results[case]["behavior"]) for case in sorted(results, key=case_key)
    )
    counts = collections.Counter(actual.values())
    summary = ", ".join("%d %s" % (n, b) for b, n in sorted(counts.items()))
    print("autobahn: %d cases: %s" % (len(actual), summary))

    failed = [
        case
        for case in actual
        if results[case]["behavior"] == "FAILED"
        or results[case].get("behaviorClose") == "FAILED"
    ]
    for case in failed:
        result = results[case]
        print(
            "autobahn: FAILED %s (behaviour %s, close %s): see %s"
            % (case, result["behavior"], result.get("behaviorClose"), result.get("reportfile"))
        )

    if os.environ.get("AUTOBAHN_UPDATE") == "1":
        with open(expected_path, "w") as expected_file:
            json.dump(actual, expected_file, indent=1, separators=(",", ": "))
            expected_file.write("\n")
        print("autobahn: wrote %s" % expected_path)
        return 1 if failed else 0

    with open(expected_path) as expected_file:
        expected = json.load(expected_file)
    differences = []
    for case in sorted(set(expected) | set(actual), key=case_key):
        if expected.get(case) != actual.get(case):
            differences.append(
                "%s: expected %s, got %s" % (case, expected.get(case), actual.get(case))
            )
    for line in differences:
        print("autobahn: changed %s" % line)
    if failed or differences:
        print("autobahn: %d failed, %d changed from expected.json" % (len(failed), len(differences)))
        return 1
    print("autobahn: every case as expected.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
