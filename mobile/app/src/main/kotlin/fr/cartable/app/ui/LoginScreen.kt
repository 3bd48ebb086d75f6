package fr.cartable.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.Button
import androidx.compose.material.MaterialTheme
import androidx.compose.material.OutlinedTextField
import androidx.compose.material.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** What "Connexion" shows. */
data class LoginState(
    val serverUrl: String,
    val login: String,
    val password: String,
    val busy: Boolean = false,
    val error: String? = null,
    val mustChangePassword: Boolean = false,
    val newPassword: String = "",
    val newPasswordAgain: String = "",
)

class LoginActions(
    val onServerUrl: (String) -> Unit = {},
    val onLogin: (String) -> Unit = {},
    val onPassword: (String) -> Unit = {},
    val onSubmit: () -> Unit = {},
    val onNewPassword: (String) -> Unit = {},
    val onNewPasswordAgain: (String) -> Unit = {},
    val onChangePassword: () -> Unit = {},
)

@Composable
fun LoginScreen(state: LoginState, actions: LoginActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(14.dp),
    ) {
        Text(
            "Cartable",
            fontSize = 32.sp,
            fontWeight = FontWeight.Bold,
            color = MaterialTheme.colors.primary,
            modifier = Modifier.padding(top = 24.dp).semantics { heading() },
        )
        Text("Portail famille : accueil périscolaire, cantine et centre de loisirs", fontSize = 16.sp)
        if (state.mustChangePassword) {
            Text("Choisissez votre mot de passe", fontSize = 20.sp, fontWeight = FontWeight.SemiBold,
                modifier = Modifier.semantics { heading() })
            Hint("Le mot de passe reçu de la mairie ne sert qu'une fois. 12 caractères au moins.")
            PasswordField("Nouveau mot de passe", state.newPassword, actions.onNewPassword)
            PasswordField("Confirmez le mot de passe", state.newPasswordAgain, actions.onNewPasswordAgain)
        } else {
            Text("Connexion", fontSize = 20.sp, fontWeight = FontWeight.SemiBold,
                modifier = Modifier.semantics { heading() })
            OutlinedTextField(
                value = state.serverUrl,
                onValueChange = actions.onServerUrl,
                label = { Text("Adresse du portail de votre mairie") },
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = state.login,
                onValueChange = actions.onLogin,
                label = { Text("Identifiant") },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            PasswordField("Mot de passe", state.password, actions.onPassword)
        }
        state.error?.let {
            Text(
                it,
                color = MaterialTheme.colors.error,
                fontSize = 15.sp,
                modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
            )
        }
        Button(
            onClick = if (state.mustChangePassword) actions.onChangePassword else actions.onSubmit,
            enabled = !state.busy,
            modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget),
        ) {
            Text(
                when {
                    state.busy -> "Connexion…"
                    state.mustChangePassword -> "Enregistrer mon mot de passe"
                    else -> "Se connecter"
                },
                fontSize = 16.sp,
            )
        }
        if (!state.mustChangePassword) {
            Hint(
                "Vous n'avez pas encore vos identifiants ? Demandez-les à votre mairie ou à l'association " +
                    "qui organise les activités périscolaires.",
            )
        }
    }
}

@Composable
private fun PasswordField(label: String, value: String, onChange: (String) -> Unit) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        singleLine = true,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
        modifier = Modifier.fillMaxWidth(),
    )
}
