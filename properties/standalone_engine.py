"""Properties of the standard (standalone-engine) deployment model (``models/standalone_engine.py``).

Each function takes the model's variable handles and sorts and returns a state predicate, or a
(trigger, response) pair for ``m.leads_to``. The names match the self-hosted model's
(``engine_recovers``) and the fencing model's (``ha_vm_restarted``), so the three can be compared.
"""

from __future__ import annotations

from hacheck.lang import exists, forall


def engine_serving(v):
    """The engine runs: its bare-metal node is up and ovirt-engine monitors the hypervisors."""
    return v.engine


def engine_recovers(v):
    """(trigger, response) of ``engine_recovers``: whenever the engine is down it eventually runs again."""
    up = engine_serving(v)
    return ~up, up


def all_ha_vms_running(v, VM):
    """Every HA VM has a running qemu on some hypervisor."""
    return forall(VM, lambda vm: v.run[vm].is_some())


def ha_vm_restarted(v, VM):
    """(trigger, response) of ``ha_vm_restarted``: "some HA VM is not running" leads to "every HA VM is
    running" (``always eventually`` all running). The trigger holds from the step that kills a VM."""
    up = all_ha_vms_running(v, VM)
    return ~up, up


def vm_failed_over(v, VM, home):
    """Some HA VM runs on a host other than the one it started on: the engine restarted it."""
    return exists(VM, lambda vm: v.run[vm].is_some() & (v.run[vm] != home(vm)))
