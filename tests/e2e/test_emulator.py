"""The emulator behaves like AWS where moto alone does not (see emulator.py): each patched gap,
asserted with boto3 against the running emulator. No Terraform needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from e2e_harness import Emulator

ID, OTHER = "777777777777", "888888888888"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}
)


def trust(arn: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def iam(emulator_server: Emulator) -> Any:
    emulator_server.reset()
    return emulator_server.iam(ID, "Deployer")


def test_list_service_specific_credentials_answers_an_empty_list(iam: Any) -> None:
    iam.create_user(UserName="ann")
    assert iam.list_service_specific_credentials(UserName="ann")["ServiceSpecificCredentials"] == []
    with pytest.raises(ClientError) as exc:
        iam.list_service_specific_credentials(UserName="nobody")
    assert code(exc) == "NoSuchEntity"


def test_delete_policy_in_use_is_a_delete_conflict(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ID}:root"))
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert code(exc) == "DeleteConflict"
    iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert code(exc) == "DeleteConflict"
    iam.delete_role_permissions_boundary(RoleName="r")
    iam.delete_policy(PolicyArn=arn)


@pytest.mark.parametrize("kind", ["user", "group", "role", "policy"])
def test_names_differing_only_in_case_are_refused(iam: Any, kind: str) -> None:
    def create(name: str) -> None:
        if kind == "user":
            iam.create_user(UserName=name)
        elif kind == "group":
            iam.create_group(GroupName=name)
        elif kind == "role":
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ID}:root"))
        else:
            iam.create_policy(PolicyName=name, PolicyDocument=POLICY)

    create("Admins")
    with pytest.raises(ClientError) as exc:
        create("admins")
    assert code(exc) == "EntityAlreadyExists"


def test_customer_policy_may_share_a_name_with_an_aws_managed_policy(iam: Any) -> None:
    iam.create_policy(PolicyName="ReadOnlyAccess", PolicyDocument=POLICY)


def test_renamed_user_keeps_tags(iam: Any) -> None:
    iam.create_user(UserName="old", Tags=[{"Key": "team", "Value": "a"}])
    iam.update_user(UserName="old", NewUserName="new", NewPath="/people/")
    assert iam.list_user_tags(UserName="new")["Tags"] == [{"Key": "team", "Value": "a"}]


def test_update_role_changes_only_what_it_names(iam: Any) -> None:
    iam.create_role(
        RoleName="r",
        AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ID}:root"),
        Description="kept",
        MaxSessionDuration=7200,
    )
    iam.update_role(RoleName="r", MaxSessionDuration=14400)
    role = iam.get_role(RoleName="r")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("kept", 14400)
    iam.update_role(RoleName="r", Description="new")
    role = iam.get_role(RoleName="r")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 14400)


def test_delete_user_still_in_a_group_is_a_delete_conflict(iam: Any) -> None:
    iam.create_user(UserName="ann")
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="ann")
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="ann")
    assert code(exc) == "DeleteConflict"
    iam.remove_user_from_group(GroupName="g", UserName="ann")
    iam.delete_user(UserName="ann")


def test_trust_policy_principal_must_exist(emulator_server: Emulator, iam: Any) -> None:
    other = emulator_server.iam(OTHER, "Deployer")
    with pytest.raises(ClientError) as exc:
        other.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ID}:user/ann"))
    assert code(exc) == "MalformedPolicyDocument"
    iam.create_user(UserName="ann")
    other.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ID}:user/ann"))
    with pytest.raises(ClientError) as exc:
        other.update_assume_role_policy(RoleName="r", PolicyDocument=trust(f"arn:aws:iam::{ID}:user/bo"))
    assert code(exc) == "MalformedPolicyDocument"


def test_policy_version_document_survives_url_decoding(iam: Any) -> None:
    # The provider URL-decodes what GetPolicyVersion returns (botocore too): AWS encodes it.
    resource = "arn:aws:s3:::bucket/a+b/%41"
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
    }
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert got["Statement"][0]["Resource"] == resource


def test_saml_provider_tags_are_added_overwritten_and_removed(iam: Any) -> None:
    metadata = (Path(__file__).parents[1] / "golden/inputs/labels-and-escapes/saml/corp-sso.xml").read_text()
    arn = iam.create_saml_provider(
        Name="Corp", SAMLMetadataDocument=metadata, Tags=[{"Key": "Organization", "Value": "a"}]
    )["SAMLProviderArn"]
    iam.tag_saml_provider(
        SAMLProviderArn=arn, Tags=[{"Key": "Organization", "Value": "b"}, {"Key": "team", "Value": "x"}]
    )
    tags = iam.get_saml_provider(SAMLProviderArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Organization", "b"), ("team", "x")]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [{"Key": "Organization", "Value": "b"}]
