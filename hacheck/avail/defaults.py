"""Default failure and repair times of the availability chain, by failure kind.

These are ASSUMPTIONS, not measurements of any deployment: round figures of the right order of
magnitude, so that the shipped models have a chain to solve and the comparisons in
docs/availability.md have a common footing. A deployment file overrides them per host
(``mttf_hours``, ``mttr_hours``) and per kind (``[failures.rates]``); ``--rate`` overrides them on
the command line. Where a figure leans on a source it is named; the sources are field studies of
other fleets, not of oVirt hosts.

* host-crash: MTTF one year. Vishwanath and Nagappan ("Characterizing cloud computing hardware
  reliability", SoCC 2010) saw about 8 % of servers needing a hardware repair per year; with
  kernel crashes and firmware faults added, one failure a year per host is a cautious round figure.
  MTTR 4 hours: a four-hour on-site hardware support contract (a common vendor service level).
* power-cycle: every two years; the host is back after a 5-minute boot (BIOS, POST and OS boot of
  a rack server: an assumption).
* host-hang, network-loss, storage-loss: twice a year each; over in 30 minutes (an operator or
  the network team acts: an assumption).
* agent-crash, engine-vm-crash, score-penalty, engine-restart: every 3 months (software faults are
  more frequent than hardware ones: an assumption); a score penalty clears in 15 minutes.
* brick crash (Gluster): as host-crash (a brick is a disk and a glusterfsd on a host).
* client link loss (Gluster): as network-loss.
* brick-io-error (an operation fails on one brick, Gluster ``op_error``): once a year per brick.
  Bairavasundaram et al. ("An analysis of latent sector errors in disk drives", SIGMETRICS 2007)
  saw 3.45 % of 1.53 million disks develop latent sector errors within 32 months (9.5 % of the
  nearline ones); a brick is a file system over such disks, and once a year is a cautious round
  figure. The protocol recovers (blame, then heal): no repair time.
* changelog-loss (a post-op lost on one brick, ``post_op_lost``): every two years per brick (an
  assumption: rarer than an I/O error, it needs the brick to fail between the write and its
  changelog update); the protocol recovers.
* client-crash (a Gluster mount, the FUSE client, crashes and remounts, ``client_crash``): every 3
  months per mount, as the other software faults (an assumption); the remount recovers.
"""

from __future__ import annotations

HOUR = 1.0
YEAR = 8766.0  # hours, 365.25 days

# failure kind -> (mean time to failure in hours, mean time to repair in hours or None: the protocol repairs it)
DEFAULTS: dict[str, tuple[float, float | None]] = {
    "host-crash": (YEAR, 4.0),
    "power-cycle": (2 * YEAR, 5 / 60),
    "host-hang": (YEAR / 2, 0.5),
    "network-loss": (YEAR / 2, 0.5),
    "storage-loss": (YEAR / 2, 0.5),
    "agent-crash": (YEAR / 4, None),
    "engine-vm-crash": (YEAR / 4, None),
    "score-penalty": (YEAR / 4, 0.25),
    "engine-restart": (YEAR / 4, None),
    "pm-unreachable": (YEAR, 24.0),
    "brick-crash": (YEAR, 4.0),
    "link-loss": (YEAR / 2, 0.5),
    "brick-io-error": (YEAR, None),
    "changelog-loss": (2 * YEAR, None),
    "client-crash": (YEAR / 4, None),
}


def fail_rate(kind: str) -> float:
    """Failures per hour of ``kind`` (1 / MTTF)."""
    return 1.0 / DEFAULTS[kind][0]


def repair_rate(kind: str) -> float:
    """Repairs per hour of ``kind`` (1 / MTTR)."""
    mttr = DEFAULTS[kind][1]
    if mttr is None:
        raise KeyError(f"failure kind {kind} has no repair time: the protocol recovers from it")
    return 1.0 / mttr
