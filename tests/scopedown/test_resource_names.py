"""Resource names a record gives without a full ARN: each form AWS documents becomes the
ARN IAM authorises the call on, and the split scan reads them as the serial reference scan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scopedown_records import ROLE_ARN, record
from serial_scan import SerialScanner, lambda_function_arn
from test_scan_fields import plain

from rolecat.iam.actions import ActionDB
from rolecat.scopedown.arns import function_arn
from rolecat.scopedown.scan import Scanner

FN = "arn:aws:lambda:eu-west-1:123456789012:function:"


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("fn", FN + "fn"),
        ("fn:alias", FN + "fn:alias"),
        ("fn:3", FN + "fn:3"),
        ("fn:$LATEST", FN + "fn:$LATEST"),
        # partial ARNs (Lambda API reference, Invoke: "Name formats")
        ("123456789012:function:fn", FN + "fn"),
        ("123456789012:function:fn:prod", FN + "fn:prod"),
        ("999999999999:function:fn", "arn:aws:lambda:eu-west-1:999999999999:function:fn"),
        ("us-east-2:123456789012:function:fn", "arn:aws:lambda:us-east-2:123456789012:function:fn"),
        # a full ARN is read as any top-level arn: value
        (FN + "fn:7", FN + "fn:7"),
    ],
)
def test_every_lambda_name_format_names_the_function(db: ActionDB, name: str, arn: str) -> None:
    rec = record("lambda.amazonaws.com", "Invoke", requestParameters={"functionName": name})
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed([rec])
        resources = scanner.result.used["lambda:InvokeFunction"].resources
        assert resources is not None and resources.patterns() == [arn]


@pytest.mark.parametrize(
    ("name", "qualifier", "arn"),
    [
        ("fn", "prod", FN + "fn:prod"),
        ("123456789012:function:fn", "7", FN + "fn:7"),
        (FN + "fn", "$LATEST", FN + "fn:$LATEST"),
        # a qualifier in the name stays; one Lambda refuses is no qualifier
        ("fn:blue", "green", FN + "fn:blue"),
        (FN + "fn:blue", "green", FN + "fn:blue"),
        ("fn", "a b", FN + "fn"),
        ("fn", 7, FN + "fn"),
    ],
)
def test_the_qualifier_parameter_qualifies_the_function(
    db: ActionDB, name: str, qualifier: object, arn: str
) -> None:
    """Invoke (and GetFunction, GetPolicy...) take the version or alias as a ``Qualifier``
    parameter beside ``FunctionName`` as well as appended to it (Lambda API reference), and
    the call is on the qualified ARN either way: a policy naming only ``function:fn`` does
    not cover ``function:fn:prod`` (Lambda Developer Guide: functions are restricted "by
    function, version, or alias ARN").  It was left out, and the call named the function."""
    params = {"functionName": name, "qualifier": qualifier}
    rec = record("lambda.amazonaws.com", "Invoke", requestParameters=params)
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed([rec])
        resources = scanner.result.used["lambda:InvokeFunction"].resources
        assert resources is not None and resources.patterns() == [arn]


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        # other scripts' digits are no digits to Lambda: its pattern's \d{12} and \d{1} are 0-9
        (FN.replace("123456789012", "١٢٣٤٥٦٧٨٩٠١٢") + "fn", None),
        (FN.replace("123456789012", "１２３４５６７８９０１２") + "fn", None),
        (FN.replace("eu-west-1", "eu-west-١") + "fn", None),
        (FN + "fn٣", None),
        (FN + "fn:٣", None),
        (FN + "é", None),
        ("arn:aws:s3:::fn", None),
        # the partition is the ARN's; the other parts optional, as in every name format
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn", "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn"),
        ("arn:aws:lambda:fn", FN + "fn"),
        (FN + "fn:prod", FN + "fn:prod"),
    ],
)  # fmt: skip
def test_a_full_function_arn_is_read_by_lambdas_pattern(db: ActionDB, name: str, arn: str | None) -> None:
    """A ``functionName`` that is a full ARN names a function only when Lambda's FunctionName
    pattern takes it, its digits ASCII ones (an account ID is 12 digits 0-9).  It was taken
    as written: the split scan cut an account of Arabic-Indic digits to ``function:*`` (the
    characters no policy holds as written), the serial scan kept it, and neither is a
    function Lambda could have been called on.  Now both name none (the resource is "*")."""
    rec = record("lambda.amazonaws.com", "Invoke", requestParameters={"functionName": name})
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed([rec])
        resources = scanner.result.used["lambda:InvokeFunction"].resources
        assert (resources and resources.patterns()) == ([arn] if arn else None), type(scanner).__name__


def test_a_function_name_of_no_lambda_form_names_no_function(db: ActionDB) -> None:
    """Lambda refuses such a value; no ARN is made of it (the action's resource becomes "*")."""
    for name in ("a b", "fn:al:ias:x", "fn:", "123456789012:function:"):
        assert function_arn(name, "aws", "eu-west-1", "123456789012") is None, name
        rec = record("lambda.amazonaws.com", "Invoke", requestParameters={"functionName": name})
        scanner = Scanner(ROLE_ARN, db)
        scanner.feed([rec])
        assert scanner.result.used["lambda:InvokeFunction"].resources is None


_TOKENS = st.sampled_from(
    ["fn", "my-function", "a.b", "123456789012", "12345", "function", "us-west-2", "us-gov-west-1",
     "$LATEST", "PROD", "7", "", "a b", "é", "٠١٢٣٤٥٦٧٨٩٠١", "１２３４５６７８９０１２", "us-west-٢"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, min_size=1, max_size=5))
def test_lambda_names_read_as_the_serial_scan_reads_them(tokens: list[str]) -> None:
    """Any value made of Lambda's parts, in any order: the pattern and the split agree."""
    name = ":".join(tokens)
    assert function_arn(name, "aws", "eu-west-1", "123456789012") == lambda_function_arn(
        name, "aws", "eu-west-1", "123456789012"
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(_TOKENS, min_size=1, max_size=4), st.booleans(), st.one_of(st.none(), _TOKENS), st.booleans())
def test_lambda_records_scan_as_the_serial_scan(
    tokens: list[str], denied: bool, qualifier: str | None, as_arn: bool
) -> None:
    db = ActionDB.load()
    name = ":".join(tokens)
    params: dict[str, object] = {
        "functionName": "arn:aws:lambda:eu-west-1:123456789012:function:" + name if as_arn else name
    }
    if qualifier is not None:
        params["qualifier"] = qualifier
    rec = record(
        "lambda.amazonaws.com",
        "Invoke",
        requestParameters=params,
        **({"errorCode": "AccessDenied"} if denied else {}),
    )
    split, serial = Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)
    split.feed([rec])
    serial.feed([rec])
    assert plain(split.result) == plain(serial.result)


SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"


@pytest.mark.parametrize(
    ("secret_id", "arn"),
    [
        # a name, and an ARN without the random suffix: the secret's ARN is name-<6 random>
        ("db", SECRET + "db-??????"),
        ("prod/db", SECRET + "prod/db-??????"),
        (SECRET + "db", SECRET + "db-??????"),
        ("arn:aws:secretsmanager:us-east-2:999999999999:secret:db", "arn:aws:secretsmanager:us-east-2:999999999999:secret:db-??????"),
        # a full ARN stays exact
        (SECRET + "db-AbCdEf", SECRET + "db-AbCdEf"),
        # a name that ends like a suffix is still a name: it gets a suffix of its own
        ("db-AbCdEf", SECRET + "db-AbCdEf-??????"),
        # an ARN that ends like one is complete for Secrets Manager, and so exact
        (SECRET + "app-secret", SECRET + "app-secret"),
    ],
)  # fmt: skip
def test_a_secret_named_without_its_random_suffix_gets_the_suffix_pattern(
    db: ActionDB, secret_id: str, arn: str
) -> None:
    rec = record("secretsmanager.amazonaws.com", "GetSecretValue", requestParameters={"secretId": secret_id})
    for scanner in (Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)):
        scanner.feed([rec])
        resources = scanner.result.used["secretsmanager:GetSecretValue"].resources
        assert resources is not None and resources.patterns() == [arn]


def test_the_suffix_pattern_covers_the_secret_and_no_longer_name() -> None:
    from rolecat.iam.globs import compile_glob

    glob = compile_glob(SECRET + "db-??????")
    assert glob.fullmatch(SECRET + "db-AbCdEf")
    assert not glob.fullmatch(SECRET + "db-x-AbCdEf") and not glob.fullmatch(SECRET + "db2-AbCdEf")


_SECRET_PARTS = st.sampled_from(["arn", "aws", "secretsmanager", "secret", "eu-west-1", "123456789012", "",
                                  "db", "db-AbCdEf", "-AbCdE", "x y", "-é12345", "a:b", "db-١٢٣٤٥٦"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_SECRET_PARTS, min_size=1, max_size=8), st.booleans())
def test_secret_ids_scan_as_the_serial_scan(parts: list[str], arn_head: bool) -> None:
    db = ActionDB.load()
    secret_id = (SECRET if arn_head else "") + ":".join(parts)
    rec = record("secretsmanager.amazonaws.com", "GetSecretValue", requestParameters={"secretId": secret_id})
    split, serial = Scanner(ROLE_ARN, db), SerialScanner(ROLE_ARN, db)
    split.feed([rec])
    serial.feed([rec])
    assert plain(split.result) == plain(serial.result)
