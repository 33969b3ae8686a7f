"""pytest/nbval configuration for the report notebooks.

nbval starts its own kernels: turn on jupyter_client's transport encryption (as the runner does)
so ipykernel 7 does not print its "Kernel is running over TCP without encryption" warning.
"""

from jupyter_client.manager import KernelManager

KernelManager.transport_encryption.default_value = "auto"
