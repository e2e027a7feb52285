"""Exact capacity: whether the engine's scheduler may start a VM on a hypervisor.

One rule, shared by ``models/fencing.py`` and ``models/standalone_engine.py`` (the deployment
mapping gives both the same ``host_free`` and ``vm_need``, so one deployment never gets two
answers to "does it fit").

What upstream does (ovirt-engine, bll/scheduling): an HA restart is a RunVm
(``HaAutoStartVmsRunner`` -> ``RunVmCommand``), whose scheduler keeps the candidate hosts that pass
its filter policy units. Each entry of ``host_free`` / ``vm_need`` is ``memory`` or ``memory:cores``:

- **Memory (MiB, summed).** ``MemoryPolicyUnit.filter`` keeps a host only when
  ``SlaValidator.hasOvercommitMemoryToRunVM`` holds: the VM's required memory
  (``VmOverheadCalculatorImpl.getTotalRequiredMemWithoutHugePagesMb``) ``<=``
  ``VDS.getMaxSchedulingMemory()`` = physical MiB x overcommit % / 100 - memCommited - reservedMem
  (``VDS.getFreeVirtualMemory``), where memCommited (``HostMonitoring.refreshCommitedMemory``) is
  vdsm's guest_ram_overhead plus the required memory of every VM the host runs. The deployment
  mapping (``hacheck/deploy/mapping.py``, ``exact_capacity``) subtracts the fixed parts and the VMs
  that stay on the host; the model subtracts the HA VMs the engine shows on it (``run_on_vds``).
- **Cores (per VM, never summed).** ``CPUPolicyUnit.filter`` drops a host only when its cores minus
  the exclusively pinned ones minus the largest vCPU count of the VMs being scheduled is below zero:
  the other VMs on the host do not count, so a VM fits when its vCPUs ``<=`` the host's cores.

Amounts are whole numbers (MiB, cores); the mapping may divide each resource by a common divisor.
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
            raise BadInput(f"parameter {pname}: {x!r} is not whole numbers 'memory' or 'memory:cores'") from None
        if len(amounts) > 2:
            raise BadInput(f"parameter {pname}: {x!r} has more than two amounts ('memory' or 'memory:cores')")
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
        raise BadInput("parameters host_free and vm_need: every entry needs the same resources ('memory' or "
                       "'memory:cores')")
    return free, need


def check_initial_fit(free: Amounts, need: Amounts, hosts: int) -> None:
    """The models start VM j on host j mod hosts: refuse parameters under which that does not fit."""
    for i, f in enumerate(free):
        mine = [need[j] for j in range(len(need)) if j % hosts == i]
        if sum(x[0] for x in mine) > f[0]:
            raise BadInput(f"initial placement does not fit: the VMs of h{i + 1} need {sum(x[0] for x in mine)} "
                           f"memory units, host_free has {f[0]}")
        if len(f) > 1 and any(x[1] > f[1] for x in mine):
            raise BadInput(f"initial placement does not fit: a VM of h{i + 1} has more vCPUs than its {f[1]} cores")


def fits(vm: Any, d: Any, VM: Any, on: Callable[[Any], Any], free: Amounts, need: Amounts) -> Any:
    """vm fits on host d: the memory of the VMs whose ``on(x)`` (run_on_vds) is d plus vm's is at most
    d's free memory, and vm's vCPUs are at most d's cores (a static per-pair test, upstream's CPU rule)."""
    mem = sum_(ite(on(x) == d, need[x.index][0], 0) for x in VM) + need[vm.index][0] <= free[d.index][0]
    if len(free[0]) == 1:
        return mem
    if need[vm.index][1] > free[d.index][1]:
        return and_(mem, False)
    return mem
