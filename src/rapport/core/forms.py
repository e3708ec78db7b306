from django import forms


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Workspace name", help_text="Usually your company's name.")
