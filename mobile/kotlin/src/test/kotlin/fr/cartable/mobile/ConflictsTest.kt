package fr.cartable.mobile

import fr.cartable.mobile.Demo.lea
import fr.cartable.mobile.Demo.signedIn
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ConflictsTest {

    @Test
    fun `a field two parents set differently offline shows both names until one value is kept`() {
        signedIn(Demo.CAMILLE, "Téléphone de Camille").use { camille ->
            signedIn(Demo.JULIEN, "Téléphone de Julien").use { julien ->
                val lea = lea(camille).id
                camille.setChildField(lea, ChildField.DOCTOR, "Dr Camus")
                julien.setChildField(lea, ChildField.DOCTOR, "Dr Julliard")
                camille.sync()
                julien.sync()
                camille.sync()

                for (phone in listOf(camille, julien)) {
                    val conflict = phone.dossierConflicts().single { it.sheetId == lea && it.field == "doctor" }
                    assertEquals(SheetKind.CHILD, conflict.sheetKind)
                    assertEquals("médecin", conflict.fieldLabel)
                    assertEquals(
                        setOf("Dr Camus" to "Camille Martin", "Dr Julliard" to "Julien Martin"),
                        conflict.values.map { it.label to it.authorName }.toSet(),
                    )
                    assertEquals(1, conflict.values.count { it.current })
                    assertEquals(1, conflict.values.count { it.byThisDevice })
                }

                // Julien keeps Camille's value: settled on both phones.
                val conflict = julien.dossierConflicts().single { it.sheetId == lea && it.field == "doctor" }
                val camilles = conflict.values.single { it.authorName == "Camille Martin" }
                julien.keepDossierValue(conflict.path, camilles.id)
                assertTrue(julien.dossierConflicts().none { it.sheetId == lea && it.field == "doctor" })
                julien.sync()
                camille.sync()
                assertTrue(camille.dossierConflicts().none { it.sheetId == lea && it.field == "doctor" })
                assertEquals("Dr Camus", lea(camille).doctor)
                assertEquals("Dr Camus", lea(julien).doctor)
            }
        }
    }
}
