"""Jinja templates of the generated Terraform, shipped inside the package as rolecat.templates."""
