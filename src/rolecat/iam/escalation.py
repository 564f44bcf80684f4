"""Privilege-escalation methods: each a named set of actions that together let a
principal gain permissions it was not given.

Sources (see shared/refs/iam_facts.md section 4): the Rhino Security Labs list of 28
methods (numbered ``rhino-N``), and paths from pathfinding.cloud / PMapper
(``path-...``).  Rhino 23-25 (CodeStar) are left out: AWS retired CodeStar and its
actions are gone from the service authorization reference, so no policy can grant
them (the grammar reports them as unknown actions).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    id: str
    actions: frozenset[str]
    how: str
    # The service principals iam:PassRole hands the role to (iam:PassedToService), when the
    # method passes one and they are known: a PassRole grant whose iam:PassedToService
    # condition names none of them cannot serve the method.  Empty: not filtered.
    passed_to: frozenset[str] = frozenset()


def _m(id: str, actions: str, how: str, passed_to: str = "") -> Method:
    return Method(id, frozenset(actions.split()), how, frozenset(passed_to.split()))


# EC2 is ec2.amazonaws.com.cn in the China Regions too: AWS's own managed policies name both
# as iam:PassedToService values (AWSBatchServiceRole, AdministratorAccess-AWSElasticBeanstalk).
EC2 = "ec2.amazonaws.com ec2.amazonaws.com.cn"
LAMBDA, GLUE = "lambda.amazonaws.com", "glue.amazonaws.com"
CFN, SAGEMAKER, ECS = "cloudformation.amazonaws.com", "sagemaker.amazonaws.com", "ecs-tasks.amazonaws.com"


PASS = "iam:PassRole"

METHODS: tuple[Method, ...] = (
    _m("rhino-1", "iam:CreatePolicyVersion", "write a new default version of a policy attached to oneself"),
    _m("rhino-2", "iam:SetDefaultPolicyVersion", "switch a policy to an older, broader version"),
    _m("rhino-3", f"{PASS} ec2:RunInstances", "start an instance with a more privileged role", EC2),
    _m("rhino-4", "iam:CreateAccessKey", "create an access key for another user"),
    _m("rhino-5", "iam:CreateLoginProfile", "set a console password for another user"),
    _m("rhino-6", "iam:UpdateLoginProfile", "change another user's console password"),
    _m("rhino-7", "iam:AttachUserPolicy", "attach any managed policy to a user"),
    _m("rhino-8", "iam:AttachGroupPolicy", "attach any managed policy to a group"),
    _m("rhino-9", "iam:AttachRolePolicy", "attach any managed policy to a role"),
    _m("rhino-10", "iam:PutUserPolicy", "write an inline policy on a user"),
    _m("rhino-11", "iam:PutGroupPolicy", "write an inline policy on a group"),
    _m("rhino-12", "iam:PutRolePolicy", "write an inline policy on a role"),
    _m("rhino-13", "iam:AddUserToGroup", "join a more privileged group"),
    _m(
        "rhino-14",
        "iam:UpdateAssumeRolePolicy",
        "rewrite a privileged role's trust policy so that a principal of one's choosing (a user one "
        "has, an account one owns) assumes it",
    ),
    _m(
        "rhino-15",
        f"{PASS} lambda:CreateFunction lambda:InvokeFunction",
        "run code as a privileged role",
        LAMBDA,
    ),
    _m(
        "rhino-16",
        f"{PASS} lambda:CreateFunction lambda:AddPermission",
        "run code as a role, invoked from elsewhere",
        LAMBDA,
    ),
    _m(
        "rhino-17",
        f"{PASS} lambda:CreateFunction lambda:CreateEventSourceMapping",
        "run code as a privileged role, triggered by an event source",
        LAMBDA,
    ),
    _m(
        "rhino-18",
        "lambda:UpdateFunctionCode",
        "replace the code of a function that runs as a privileged role",
    ),
    _m(
        "rhino-19",
        f"{PASS} glue:CreateDevEndpoint",
        "open a Glue dev endpoint running as a privileged role",
        GLUE,
    ),
    _m("rhino-20", "glue:UpdateDevEndpoint", "put one's SSH key on an existing Glue dev endpoint"),
    _m(
        "rhino-21",
        f"{PASS} cloudformation:CreateStack",
        "let CloudFormation create resources as a privileged role",
        CFN,
    ),
    _m(
        "rhino-22",
        f"{PASS} datapipeline:CreatePipeline datapipeline:PutPipelineDefinition",
        "run commands through Data Pipeline as a privileged role",
    ),
    _m("rhino-26", "lambda:UpdateFunctionConfiguration", "add a malicious layer to a privileged function"),
    _m(
        "rhino-27",
        f"{PASS} sagemaker:CreateNotebookInstance sagemaker:CreatePresignedNotebookInstanceUrl",
        "open a notebook running as a privileged role",
        SAGEMAKER,
    ),
    _m(
        "rhino-28",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        "open an existing notebook's privileged role",
    ),
    _m("path-boundary-delete", "iam:DeleteRolePermissionsBoundary", "remove a role's permissions boundary"),
    _m("path-boundary-put", "iam:PutRolePermissionsBoundary", "replace a role's boundary with a broader one"),
    _m(
        "path-user-boundary-delete",
        "iam:DeleteUserPermissionsBoundary",
        "remove a user's permissions boundary",
    ),
    # Reported only for a role that may make the calls on itself, each at the moment it
    # makes it, and whose attached (managed) or inline policies hold a Deny that takes away
    # something its other policies and its boundary allow (rules/iam.py, ``_removals`` and
    # ``_lifted``): without the policies the Deny is gone.  The third takes off policies of
    # both kinds: a Deny a managed and the inline policy both hold.
    _m(
        "path-detach-own-deny",
        "iam:DetachRolePolicy",
        "detach from oneself a managed policy whose Deny holds back what one's other policies and "
        "boundary allow",
    ),
    _m(
        "path-delete-own-inline-deny",
        "iam:DeleteRolePolicy",
        "delete one's own inline policy whose Deny holds back what one's other policies and boundary allow",
    ),
    _m(
        "path-detach-delete-own-deny",
        "iam:DetachRolePolicy iam:DeleteRolePolicy",
        "detach managed policies from oneself and delete one's own inline policy, whose Denies together "
        "hold back what one's other policies and boundary allow",
    ),
    _m(
        "path-codebuild-create",
        f"{PASS} codebuild:CreateProject codebuild:StartBuild",
        "run a build as a privileged role",
        "codebuild.amazonaws.com",
    ),
    _m(
        "path-codebuild-batch",
        f"{PASS} codebuild:CreateProject codebuild:StartBuildBatch",
        "run a batch build as a privileged role",
        "codebuild.amazonaws.com",
    ),
    _m(
        "path-codebuild-start",
        "codebuild:StartBuild",
        "override the buildspec of an existing privileged project",
    ),
    _m(
        "path-ecs-runtask",
        f"{PASS} ecs:RegisterTaskDefinition ecs:RunTask",
        "run a container as a privileged task role",
        ECS,
    ),
    _m(
        "path-ecs-starttask",
        f"{PASS} ecs:RegisterTaskDefinition ecs:StartTask",
        "start a container as a privileged task role",
        ECS,
    ),
    _m(
        "path-ecs-service",
        f"{PASS} ecs:RegisterTaskDefinition ecs:CreateService",
        "run a service as a privileged task role",
        ECS,
    ),
    _m("path-ecs-exec", "ecs:ExecuteCommand", "open a shell in a running task and use its role"),
    _m(
        "path-ec2-spot",
        f"{PASS} ec2:RequestSpotInstances",
        "start a spot instance with a privileged role",
        EC2,
    ),
    _m(
        "path-ec2-userdata",
        "ec2:ModifyInstanceAttribute ec2:StopInstances ec2:StartInstances",
        "replace an instance's user data and restart it",
    ),
    _m(
        "path-ec2-launch-template",
        "ec2:CreateLaunchTemplateVersion ec2:ModifyLaunchTemplate",
        "change the user data instances with a privileged role start from",
    ),
    _m(
        "path-ec2-instance-connect",
        "ec2-instance-connect:SendSSHPublicKey",
        "log in to an instance and use its role",
    ),
    _m("path-ssm-command", "ssm:SendCommand", "run commands on an instance and use its role"),
    _m("path-ssm-session", "ssm:StartSession", "open a shell on an instance and use its role"),
    _m(
        "path-autoscaling",
        f"{PASS} autoscaling:CreateLaunchConfiguration autoscaling:CreateAutoScalingGroup",
        "start instances with a privileged role through Auto Scaling",
    ),
    _m(
        "path-glue-job",
        f"{PASS} glue:CreateJob glue:StartJobRun",
        "run a Glue job as a privileged role",
        GLUE,
    ),
    _m(
        "path-glue-trigger",
        f"{PASS} glue:CreateJob glue:CreateTrigger",
        "run a triggered Glue job as a role",
        GLUE,
    ),
    _m(
        "path-glue-update",
        f"{PASS} glue:UpdateJob glue:StartJobRun",
        "point an existing Glue job at a role",
        GLUE,
    ),
    _m(
        "path-glue-update-trigger",
        f"{PASS} glue:UpdateJob glue:CreateTrigger",
        "point an existing Glue job at a role and run it from a trigger",
        GLUE,
    ),
    _m(
        "path-sagemaker-training",
        f"{PASS} sagemaker:CreateTrainingJob",
        "run a training job as a privileged role",
        SAGEMAKER,
    ),
    _m(
        "path-sagemaker-processing",
        f"{PASS} sagemaker:CreateProcessingJob",
        "run a processing job as a privileged role",
        SAGEMAKER,
    ),
    _m(
        "path-sagemaker-lifecycle",
        "sagemaker:CreateNotebookInstanceLifecycleConfig sagemaker:UpdateNotebookInstance "
        "sagemaker:StartNotebookInstance",
        "give an existing notebook a new lifecycle script and start it: the script runs with the "
        "notebook's role",
    ),
    _m(
        "path-sagemaker-lifecycle-update",
        "sagemaker:UpdateNotebookInstanceLifecycleConfig sagemaker:StartNotebookInstance",
        "rewrite the lifecycle script an existing notebook runs when it starts, and start it",
    ),
    _m(
        "path-cloudformation-changeset",
        f"{PASS} cloudformation:CreateChangeSet cloudformation:ExecuteChangeSet",
        "let CloudFormation change resources as a privileged role",
        CFN,
    ),
    _m(
        "path-cloudformation-stackset",
        f"{PASS} cloudformation:CreateStackSet cloudformation:CreateStackInstances",
        "let a stack set create resources as a privileged role",
        CFN,
    ),
    _m(
        "path-cloudformation-stackset-update",
        f"{PASS} cloudformation:UpdateStackSet",
        "let an existing stack set change resources as a privileged role",
        CFN,
    ),
    _m("path-apprunner", f"{PASS} apprunner:CreateService", "run a service as a privileged instance role"),
    _m(
        "path-agentcore-interpreter",
        f"{PASS} bedrock-agentcore:CreateCodeInterpreter bedrock-agentcore:StartCodeInterpreterSession "
        "bedrock-agentcore:InvokeCodeInterpreter",
        "run code in an AgentCore code interpreter as a privileged role",
    ),
    _m(
        "path-agentcore-session",
        "bedrock-agentcore:StartCodeInterpreterSession bedrock-agentcore:InvokeCodeInterpreter",
        "run code in an existing AgentCore code interpreter that runs as a privileged role",
    ),
)
