"""Upstream's scheduler figures for a deployment file: a VM's required memory and a host's memory
for VMs, in MiB, as ovirt-engine and vdsm count them.

Used by the parser (the file's own placement must pass the scheduler's filters) and by the mapping
(``host_free`` / ``vm_need`` of the fencing and standalone_engine models; the rule the models apply
is ``properties/capacity.py``).
"""

from __future__ import annotations

import math
from fractions import Fraction

# vdsm lib/vdsm/common/config.py.in: host_mem_reserve 256 + extra_mem_reserve 65 MiB (reported as
# reservedMem by lib/vdsm/host/caps.py), guest_ram_overhead 65 MiB (guestOverhead, the start of
# memCommited in ovirt-engine HostMonitoring.refreshCommitedMemory)
RESERVED_MIB = 256 + 65
GUEST_OVERHEAD_MIB = 65
# ovirt-engine VgamemVideoSettings.getVgaVideoDeviceSettings: 16384 KiB of video RAM (VGA; a VM
# without a display gets the same figure from VideoDeviceSettings.totalVideoRAMSizeMb)
VIDEO_MIB = 16


def gib(x: float) -> Fraction:
    """GiB exactly as written in the file (0.1 is 1/10, not the nearest binary float)."""
    return Fraction(repr(float(x)))


def mib(memory_gb: float) -> int:
    """Whole MiB of a GiB figure (upstream stores memory as integer MiB)."""
    return math.floor(gib(memory_gb) * 1024)


def vm_required_mib(memory_gb: float, cpus: int) -> int:
    """A VM's required memory in MiB, ovirt-engine VmOverheadCalculatorImpl.getTotalRequiredMemWithoutHugePagesMb
    on x86_64: memory + static overhead (64 + memory/512 for page tables, getStaticOverheadInMb) + possible
    overhead (video RAM + 8 per vCPU + 8 per I/O thread, getPossibleOverheadInMb; VGA video, no I/O threads)."""
    mem = mib(memory_gb)
    return mem + 64 + mem // 512 + VIDEO_MIB + 8 * cpus


def host_vm_mib(memory_gb: float, overcommit: int) -> int:
    """What a host offers its VMs, ovirt-engine VDS.getFreeVirtualMemory with no VM running: physical MiB x
    overcommit % / 100 - reservedMem - guestOverhead (floored: the needs compared with it are whole MiB)."""
    return math.floor(mib(memory_gb) * Fraction(overcommit, 100)) - RESERVED_MIB - GUEST_OVERHEAD_MIB
