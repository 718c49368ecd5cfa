"""OUT/junit.xml: the class as JUnit XML, for CI dashboards and test-report viewers.

One <testsuite> per student (name = student) inside <testsuites name=assignment>; one <testcase>
per check with classname = student and name = check; a failed check has a <failure>, a check that
could not run (crash, timeout, import failure, ungradable input) an <error>, both with the message.
A run without any check result gets one <testcase name="grading"> holding its problem as an <error>.
Written with xml.etree.ElementTree; text is stripped of characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.gradebook import Run
from grader.report_text import clean


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"


def junit_xml(runs: list[Run], assignment: str) -> bytes:
    root = ET.Element("testsuites", name=assignment)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for run in runs:
        suite = ET.SubElement(root, "testsuite", name=clean(run.student))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        properties = ET.SubElement(suite, "properties")
        for key, value in (("status", run.status), ("points", f"{run.points:g}"), ("max_points", f"{run.max_points:g}"),
                           ("sha256", run.sha256), ("suite_version", run.suite_version), ("graded_at", run.graded_at)):
            ET.SubElement(properties, "property", name=key, value=clean(value))
        for check in run.checks:
            case = ET.SubElement(suite, "testcase", classname=clean(run.student), name=clean(check.name),
                                 time=_seconds(check.duration_s))
            counts["tests"] += 1
            if check.status == "failed":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=clean(check.message), type="failed").text = clean(check.message)
            elif check.status != "passed":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=clean(check.message), type=check.status).text = clean(check.message)
        if not run.checks:
            case = ET.SubElement(suite, "testcase", classname=clean(run.student), name="grading", time="0.000")
            problem = clean(run.problem or f"no check result ({run.status})")
            ET.SubElement(case, "error", message=problem, type=clean(run.status)).text = problem
            counts["tests"] += 1
            counts["errors"] += 1
        for name, count in counts.items():
            suite.set(name, str(count))
            totals[name] += count
        suite.set("skipped", "0")
        suite.set("time", _seconds(run.duration_s))
    for name, count in totals.items():
        root.set(name, str(count))
    root.set("time", _seconds(sum(run.duration_s for run in runs)))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
