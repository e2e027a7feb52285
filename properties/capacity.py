"""Exact capacity: whether the engine may start a VM on a hypervisor, in whole units of each resource.

One rule, shared by ``models/fencing.py`` and ``models/standalone_engine.py`` (the deployment
mapping gives both the same ``host_free`` and ``vm_need``, so one deployment never gets two
answers to "does it fit").

What upstream does (ovirt-engine, bll/scheduling): an HA restart is a RunVm
(``HaAutoStartVmsRunner`` -> ``RunVmCommand``), whose scheduler keeps the candidate hosts that pass
its filter policy units.

- **Memory.** ``MemoryPolicyUnit.filter`` keeps a host when
  ``SlaValidator.hasOvercommitMemoryToRunVM`` holds: the VMs' required memory ``<=`` the host's
  max scheduling memory (``VDS.calculateFreeSchedulingMemoryCache``: physical memory times the
  overcommit percentage, minus the memory committed to the VMs it runs and the reserved memory,
  minus pending starts). An exact fit passes (``<=``).
- **Cores.** ``CPUPolicyUnit.filter`` drops a host only when its cores minus the exclusively pinned
  ones minus the largest shared VM's vCPUs is below zero: an exact fit passes too, and shared vCPUs
  may overcommit the cores.

The models count each resource as a budget per host: what the host has free for HA VMs against the
sum of what the VMs the engine shows on it (``run_on_vds``) need, plus the VM to start. For memory
that is upstream's rule at 100 % overcommit (guest overhead and reserved memory aside); for cores it
is stricter than upstream (no CPU overcommit, the deployment's stated capacity), so it can only
under-estimate what fits. Amounts are whole numbers: the deployment mapping divides cores and GiB by
their greatest common divisor, so 0.1 + 0.2 GiB is exactly 0.3 GiB (``hacheck/deploy/mapping.py``,
``exact_capacity``).
"""

from __future__ import annotations

from typing import Any, Callable

from hacheck.lang import BadInput, and_, ite, sum_

Amounts = list[tuple[int, ...]]


def _amounts(text: str, n: int, what: str, pname: str) -> Amounts:
    items = [x.strip() for x in str(text).split(",") if x.strip()]
    if len(items) != n:
        raise BadInput(f"parameter {pname}: {len(items)} entries for {n} {what}")
    out = []
    for x in items:
        try:
            amounts = tuple(int(v) for v in x.split(":"))
        except ValueError:
            raise BadInput(f"parameter {pname}: {x!r} is not whole numbers 'cores:memory'") from None
        if any(a < 0 for a in amounts):
            raise BadInput(f"parameter {pname}: {x!r} has a negative amount")
        out.append(amounts)
    return out


def parse(host_free: str, vm_need: str, hosts: int, vms: int) -> tuple[Amounts, Amounts] | None:
    """(free per host, need per VM) from the parameters ``host_free`` and ``vm_need``, or None when
    both are empty (the model then counts slots)."""
    if not host_free and not vm_need:
        return None
    free = _amounts(host_free, hosts, "hosts", "host_free")
    need = _amounts(vm_need, vms, "VMs", "vm_need")
    if len({len(x) for x in free + need}) != 1:
        raise BadInput("parameters host_free and vm_need: every entry needs the same resources (cores:memory)")
    return free, need


def check_initial_fit(free: Amounts, need: Amounts, hosts: int) -> None:
    """The models start VM j on host j mod hosts: refuse parameters under which that does not fit."""
    for i, f in enumerate(free):
        mine = [need[j] for j in range(len(need)) if j % hosts == i]
        if any(sum(x[k] for x in mine) > f[k] for k in range(len(f))):
            raise BadInput(f"initial placement does not fit: the VMs of h{i + 1} need more than host_free {f}")


def fits(vm: Any, d: Any, VM: Any, on: Callable[[Any], Any], free: Amounts, need: Amounts) -> Any:
    """vm fits on host d: for every resource, the VMs whose ``on(x)`` (run_on_vds) is d plus vm need
    at most what d has free (``<=``: an exact fit fits)."""
    return and_(*[sum_(ite(on(x) == d, need[x.index][k], 0) for x in VM) + need[vm.index][k] <= free[d.index][k]
                  for k in range(len(free[0]))])
