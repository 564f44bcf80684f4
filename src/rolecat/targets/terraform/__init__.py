"""The Terraform target: render (files as text), hcl (values, escapes, alignment), write (atomic OUT)."""
