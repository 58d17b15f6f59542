from kanibako.cli import main

main()
