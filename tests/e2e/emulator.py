"""The IAM emulator the end-to-end tests start: moto in server mode, made to behave like AWS.

Run as ``python emulator.py`` (the ``emulator`` fixture does): it binds a free port on
127.0.0.1, prints ``PORT <n>`` on stdout and serves until it is terminated. Before it
serves, :func:`patch` corrects the places where moto (5.x) is laxer or buggier than AWS
and where that matters to what rolecat writes. Each patch says what AWS does; each is a
few lines over moto's own backend so the rest of moto stays as it is. Patching happens
here, in the emulator's own process, never in the test process.

Gaps and what AWS does instead:

1. ``ListServiceSpecificCredentials`` is not implemented (moto answers 500). The AWS
   provider lists them before deleting a user with ``force_destroy`` and retries the 500
   for many minutes. AWS answers the (here always empty) list.
2. ``DeletePolicy`` of a policy still attached to a user, group or role, or still set as
   some role's permissions boundary, succeeds in moto. AWS refuses with
   ``DeleteConflict`` ("Cannot delete a policy attached to entities."): the role must
   switch boundary, and attachments must go, before the policy may be deleted.
3. User, group, role and managed-policy names that differ only in case are accepted by
   moto. AWS: names are unique within the account and case-insensitive ("ADMINS" and
   "admins" cannot both exist): ``EntityAlreadyExists``.
4. ``UpdateUser`` with ``NewUserName`` or ``NewPath`` drops the user's tags in moto
   (its tags are kept by ARN, and the ARN changes). AWS keeps the tags of a renamed user.
5. ``UpdateRole`` sets the description to None when the request has no ``Description``,
   and the session duration to 3600 when it has no ``MaxSessionDuration``. AWS changes
   only what the request names (the AWS provider sends ``MaxSessionDuration`` alone when
   only the duration changes), so moto's answer made the second plan non-empty.
6. ``DeleteUser`` of a user that is still in a group succeeds in moto; AWS refuses with
   ``DeleteConflict`` ("must remove users from group first"). The provider removes the
   memberships first; this makes the tests notice if that order ever breaks.
7. A trust policy (``CreateRole``, ``UpdateAssumeRolePolicy``) naming an IAM user or role
   that does not exist is accepted by moto. AWS refuses it with ``MalformedPolicyDocument``
   ("Invalid principal in policy"), because it stores the principal's unique id. This is
   why the identity account, which holds the users, must be applied first.
8. ``GetPolicyVersion`` returns the policy document as it is; AWS returns it URL-encoded
   (RFC 3986), as moto already does for role trust and inline policies. The AWS provider
   URL-decodes it, so with moto a ``+`` in a policy (``role/Job+x``) came back as a space
   and the second plan was never empty.
9. ``CreateSAMLProvider`` drops the request's ``Tags`` and ``GetSAMLProvider`` answers
   none. AWS keeps the tags given at creation and returns them with the provider (the
   AWS provider reads them there), so the provider's default tags were planned again.
10. ``TagSAMLProvider`` and ``UntagSAMLProvider`` are not implemented (moto answers 500,
   which the AWS provider retries for many minutes: a changed default tag, such as a
   renamed organization, hung the apply). AWS adds the tags, overwriting a tag of the
   same key, and removes the keys named (IAM API reference, TagSAMLProvider and
   UntagSAMLProvider).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from typing import Any

_PRINCIPAL = re.compile(r"arn:aws:iam::(\d{12}):(user|role)/(?:[^*]*/)?([^/*]+)")


def patch() -> None:
    from moto.core.responses import ActionResult
    from moto.core.serialize import url_encode
    from moto.iam import models, responses
    from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, MalformedPolicyDocument

    backend = models.IAMBackend

    # 0. Speed only, no change in behaviour. moto finds the account of a request's access key
    # by asking every account's IAM backend in every partition, creating the ones that do not
    # exist yet, each with its own copy of ~1,600 AWS managed policies: seconds per request
    # with a key moto did not issue (the tests' own), again after every reset. A backend that
    # was never created holds no key, so only existing ones are asked.
    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(models.iam_backends.items()):
            for partition in models.PARTITION_NAMES:
                if dict.__contains__(account, partition) and access_key in account[partition].access_keys:
                    return str(account_id)
        return str(models.DEFAULT_ACCOUNT_ID)

    models.get_account_id_from = get_account_id_from

    # 1. ListServiceSpecificCredentials: an empty list, as AWS answers for a user without any.
    def list_service_specific_credentials(self: Any) -> ActionResult:
        self.backend.get_user(self._get_param("UserName"))  # NoSuchEntity as in AWS
        return ActionResult({"ServiceSpecificCredentials": []})

    responses.IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]

    # 2. DeletePolicy: DeleteConflict while attached or used as a role's permissions boundary.
    delete_policy = backend.delete_policy

    def guarded_delete_policy(self: Any, policy_arn: str) -> None:
        policy = self.get_policy(policy_arn)
        in_use = any(role.permissions_boundary_arn == policy.arn for role in self.roles.values())
        if policy.attachment_count > 0 or in_use:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")
        delete_policy(self, policy_arn)

    backend.delete_policy = guarded_delete_policy  # type: ignore[method-assign]

    # 7. Trust policies may only name users and roles that exist (in their own account).
    def check_principals(document: str) -> None:
        statements = json.loads(document).get("Statement", [])
        for st in [statements] if isinstance(statements, dict) else statements:
            principal = st.get("Principal", {})
            arns = principal.get("AWS", []) if isinstance(principal, dict) else []
            for arn in [arns] if isinstance(arns, str) else arns:
                m = _PRINCIPAL.fullmatch(arn)
                if m is None:
                    continue
                owner = models.iam_backends[m[1]]["aws"]
                names = owner.users if m[2] == "user" else {r.name for r in owner.roles.values()}
                if m[3] not in names:
                    raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')

    update_trust = backend.update_assume_role_policy

    def uarp(self: Any, role_name: str, policy_document: str) -> None:
        check_principals(policy_document)
        update_trust(self, role_name, policy_document)

    backend.update_assume_role_policy = uarp  # type: ignore[method-assign]

    # 8. GetPolicyVersion: the document URL-encoded, as AWS sends it.
    responses.IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER[
        "GetPolicyVersionResponse.PolicyVersion.Document"
    ] = url_encode

    # 3. Names are unique regardless of case.
    def refuse_case_twin(kind: str, names: Any, name: str) -> None:
        clash = [n for n in names if n.lower() == name.lower() and n != name]
        if clash:
            raise EntityAlreadyExists(f"{kind} with name {clash[0]} already exists.")

    create_user, create_group, create_role, create_policy = (
        backend.create_user,
        backend.create_group,
        backend.create_role,
        backend.create_policy,
    )

    def cu(self: Any, region_name: str, user_name: str, *args: Any, **kwargs: Any) -> Any:
        refuse_case_twin("User", self.users, user_name)
        return create_user(self, region_name, user_name, *args, **kwargs)

    def cg(self: Any, group_name: str, *args: Any, **kwargs: Any) -> Any:
        refuse_case_twin("Group", self.groups, group_name)
        return create_group(self, group_name, *args, **kwargs)

    def cr(self: Any, role_name: str, trust: str, *args: Any, **kwargs: Any) -> Any:
        refuse_case_twin("Role", [r.name for r in self.roles.values()], role_name)
        check_principals(trust)
        return create_role(self, role_name, trust, *args, **kwargs)

    def cp(self: Any, description: str, path: str, document: str, policy_name: str, tags: Any) -> Any:
        own = [p.name for p in self.managed_policies.values() if ":iam::aws:policy/" not in p.arn]
        refuse_case_twin("Policy", own, policy_name)
        return create_policy(self, description, path, document, policy_name, tags)

    backend.create_user, backend.create_group = cu, cg  # type: ignore[method-assign]
    backend.create_role, backend.create_policy = cr, cp  # type: ignore[method-assign]

    # 4. UpdateUser keeps the tags when the name or path (and so the ARN) changes.
    update_user = backend.update_user

    def uu(self: Any, user_name: str, new_path: str | None = None, new_user_name: str | None = None) -> None:
        old_arn = self.get_user(user_name).arn
        tags = self.tagger.list_tags_for_resource(old_arn)["Tags"]
        update_user(self, user_name, new_path, new_user_name)
        user = self.get_user(new_user_name or user_name)
        if user.arn != old_arn:
            self.tagger.delete_all_tags_for_resource(old_arn)
            self.tagger.tag_resource(user.arn, tags)

    backend.update_user = uu  # type: ignore[method-assign]

    # 5. UpdateRole changes only what the request names.
    def update_role(self: Any) -> Any:
        role = self.backend.get_role(self._get_param("RoleName"))
        description = self._get_param("Description")
        duration = self._get_param("MaxSessionDuration")
        if description is not None:
            role.description = description
        if duration is not None:
            role.max_session_duration = duration
        return responses.EmptyResult()

    responses.IamResponse.update_role = update_role  # type: ignore[method-assign]

    # 6. DeleteUser: DeleteConflict while the user is in a group.
    delete_user = backend.delete_user

    def du(self: Any, user_name: str) -> None:
        user = self.get_user(user_name)
        if any(user in group.users for group in self.groups.values()):
            raise DeleteConflictException("Cannot delete entity, must remove users from group first.")
        delete_user(self, user_name)

    backend.delete_user = du  # type: ignore[method-assign]

    # 9. CreateSAMLProvider keeps its tags; GetSAMLProvider returns them.
    create_saml = responses.IamResponse.create_saml_provider

    def create_saml_provider(self: Any) -> Any:
        result = create_saml(self)
        provider = self.backend.saml_providers[self._get_param("Name")]
        provider.tags = [{"Key": t["Key"], "Value": t["Value"]} for t in self._get_param("Tags", [])]
        return result

    responses.IamResponse.create_saml_provider = create_saml_provider  # type: ignore[method-assign]

    # 10. TagSAMLProvider overwrites or adds each tag; UntagSAMLProvider removes the keys.
    def tag_saml_provider(self: Any) -> Any:
        provider = self.backend.get_saml_provider(self._get_param("SAMLProviderArn"))
        tags = {t["Key"]: t["Value"] for t in getattr(provider, "tags", [])}
        tags.update({t["Key"]: t["Value"] for t in self._get_param("Tags", [])})
        provider.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        return responses.EmptyResult()

    def untag_saml_provider(self: Any) -> Any:
        provider = self.backend.get_saml_provider(self._get_param("SAMLProviderArn"))
        gone = set(self._get_param("TagKeys", []))
        provider.tags = [t for t in getattr(provider, "tags", []) if t["Key"] not in gone]
        return responses.EmptyResult()

    responses.IamResponse.tag_saml_provider = tag_saml_provider  # type: ignore[attr-defined]
    responses.IamResponse.untag_saml_provider = untag_saml_provider  # type: ignore[attr-defined]


def main() -> int:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    patch()
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
