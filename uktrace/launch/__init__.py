"""Starting guests: options checked up front, the QEMU command line, QMP, shares and the fleet that runs them."""
