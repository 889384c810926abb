"""The stages that orchestrate a run; each takes the edges it uses and returns data.

- `run`: the sequence alone;
- `reports`: the coverage reports found and read;
- `changes`: the changed lines (a diff file, git, or the pull request's files);
- `baseline_search`: the baseline to compare with;
- `pin_check`: the workflows scanned, fixes suggested;
- `pr_comment`: the pull request's comment written;
- `check_run`: the annotations, on a check run or as workflow commands;
- `uploads`: the baseline, a fork's result and report-json kept;
- `workflow_run_comment`: a fork's stored result posted from a trusted `workflow_run`.
"""
