# The lab's way into its containers: containers.podman.podman
# with pipelining, as operators run over SSH. A module reaches the container's Python on its
# stdin (`podman exec -i`): one podman call per task, where containers.podman.podman makes five
# or six (a temporary directory, the module file, chmod, the run, the clean-up), and mounts the
# container for every task. A task that copies a file still does, through a mount made then.
# Test infrastructure for the lab and the molecule scenarios (ansible.cfg and
# .config/molecule/config.yml point at this directory): not part of the collection.
from __future__ import annotations

DOCUMENTATION = """
    name: hapair_podman
    short_description: Run tasks in a local podman container, with pipelining
    description:
      - containers.podman.podman, with pipelining (C(podman exec -i)) and the container mounted
        only for a task that copies a file.
    extends_documentation_fragment:
      - connection_pipelining
    options:
      remote_addr:
        description: The container's name or ID.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description: The user the commands run as in the container.
        ini:
          - section: defaults
            key: remote_user
        env:
          - name: ANSIBLE_REMOTE_USER
        vars:
          - name: ansible_user
      podman_extra_args:
        description: Extra arguments to the podman command line.
        default: ''
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description: The podman executable.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    transport = "hapair_podman"
    has_pipelining = True

    def _connect(self):
        # No mount here: most tasks copy no file.
        ConnectionBase._connect(self)
        self._connected = True
        return self

    def _mount(self):
        if self._mount_point is None:
            PodmanConnection._connect(self)

    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec"]
        if in_data is not None:
            # The pipelined module arrives on stdin: podman passes it on only with -i.
            args.append("-i")
        if self.user:
            args += ["--user", self.user]
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)

    def put_file(self, in_path, out_path):
        self._mount()
        return super().put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._mount()
        return super().fetch_file(in_path, out_path)
