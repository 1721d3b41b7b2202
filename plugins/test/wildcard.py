# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a HAProxy bind address means every address of the host."""

from __future__ import annotations

DOCUMENTATION = r"""
name: wildcard
short_description: Whether a HAProxy bind address means every address of the host
version_added: 0.1.0
description:
  - True for C(*), C(0.0.0.0), C(::) and the empty address. HAProxy binds every address of the
    host there, so the bind needs neither a VIP nor the C(transparent) option.
  - The HAProxy preflight accepts the same addresses beside the VIPs and the host's own.
author:
  - hapair.loadbalancer maintainers
options:
  _input:
    description: The bind address.
    type: str
    required: true
"""

EXAMPLES = r"""
transparent: "{{ bind.address is not hapair.loadbalancer.wildcard }}"
"""

RETURN = r"""
_value:
  description: Whether the address is a wildcard.
  type: bool
"""

from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import is_wildcard


def wildcard(address):
    return is_wildcard(address)


class TestModule:
    """hapair.loadbalancer tests."""

    def tests(self):
        return {"wildcard": wildcard}
