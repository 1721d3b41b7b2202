# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a HAProxy bind address means every address of the host.

Its documentation is wildcard.yml beside this file, the way ansible-doc reads the
documentation of the collection's filters."""

from __future__ import annotations


from ansible_collections.hapair.loadbalancer.plugins.module_utils.group import is_wildcard


def wildcard(address):
    return is_wildcard(address)


class TestModule:
    """hapair.loadbalancer tests."""

    def tests(self):
        return {"wildcard": wildcard}
