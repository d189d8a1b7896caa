#!/usr/bin/python
"""Write, copy, rename and remove the litellm role's files in litellm_config_dir, in one module call.

A first deploy wrote its files with ansible.builtin.file, copy (two module
runs each: a stat, then the copy) and a loop of mv commands: a dozen module
runs at about a third of a second each, while operators wait. This module
does the same work in one run: it makes sure the directory is root's and
0700, removes files, writes each file whole (a temporary file in the same
directory, synced, then renamed over the old one) and renames files. A file already
written as asked is left alone. Its messages name files and the kind of
error, never a file's content (content is secret: the env file, the TLS key).
"""

from __future__ import annotations

from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.litellm_file_ops import apply, failure_message

DOCUMENTATION = r"""
module: litellm_files
short_description: Write, copy, rename and remove files in one directory, atomically, in one call
description:
  - Makes O(path) a directory owned by root:root with mode 0700 (created when missing).
  - Removes each name of O(remove) that exists.
  - Copies each file of O(copy), in order, the same way as a write (a copy already so is left alone).
  - Writes each file of O(write), in order, owned by root with the given group and mode, through a temporary
    file in O(path) renamed over the old one; a file with that content, group and mode already is
    left alone.
  - Then renames each file of O(rename).
  - Names are plain file names inside O(path), all checked before anything changes. Messages
    never quote a file's content.
options:
  path:
    description: The directory.
    type: path
    required: true
  write:
    description: Files to write, each with name, gid (default 0) and mode (default 0600).
    type: list
    elements: dict
    default: []
  copy:
    description:
      - Files to copy, each with from (the file copied), name (the copy), gid (default 0) and mode
        (default 0600). Done before the writes.
    type: list
    elements: dict
    default: []
  contents:
    description: The content of each file of O(write), in the same order (hidden from logs).
    type: list
    elements: str
    default: []
  rename:
    description: Names to rename, old name to new name (the old file replaces the new one).
    type: dict
    default: {}
  remove:
    description: Names to remove.
    type: list
    elements: str
    default: []
  failure:
    description:
      - What a failure means for the caller, said after the file and the error. The module then fails
        with C(Could not write NAME in PATH: ERROR. FAILURE) (C(remove) for a removal): a message
        that names no content, so a task that hides its arguments with C(no_log) may show it.
    type: str
    default: ""
"""

RETURN = r"""
written:
  description: Names written (in check mode, that would be written).
  type: list
copied:
  description: Names written as copies (in check mode, that would be).
  type: list
renamed:
  description: Destination names renamed into place.
  type: list
removed:
  description: Names removed.
  type: list
name:
  description: On failure, the name of the file that could not be changed (or of the directory).
  type: str
error:
  description: On failure, the kind of error (the system's message, or which name is refused).
  type: str
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "write": {"type": "list", "elements": "dict", "default": []},
            "copy": {"type": "list", "elements": "dict", "default": []},
            "contents": {"type": "list", "elements": "str", "default": [], "no_log": True},
            "rename": {"type": "dict", "default": {}},
            "remove": {"type": "list", "elements": "str", "default": []},
            "failure": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    path = Path(module.params["path"])
    try:
        result = apply(path, module.params, module.check_mode)
    except (OSError, ValueError) as error:
        # The names and the error's kind only: never a file's content.
        msg, name, kind = failure_message(path, error, module.params["failure"])
        module.fail_json(msg=msg, name=name, error=kind)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
