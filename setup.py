"""Packaging for dpt-mm, an mmagic plugin for Disentangled Pre-training."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Read one requirements file, skipping comments and blank lines."""
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version() -> str:
    """Read ``__version__`` from dpt_mm/version.py without importing it."""
    scope: dict = {}
    with open(osp.join(HERE, 'dpt_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='dpt-mm',
    version=read_version(),
    description='Disentangled Pre-training for Image Matting as an '
    'OpenMMLab (mmagic) plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    package_data={'dpt_mm.apis': ['static/*.html']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests':
        read_requirements('tests.txt') + read_requirements('deploy.txt'),
        'deploy': read_requirements('deploy.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
